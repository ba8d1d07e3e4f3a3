"""CPU per Wix-sized HTTP call: an httpx client against processor/wix/stdlib_http.py, alternated.

    .venv/bin/python bench/wix_transport_cpu.py [--requests 2000] [--rounds 3]

A loopback HTTP/1.1 server in a child process answers every POST with a small JSON object (an order,
as Get Order answers). This process sends the same POST (JSON body, Authorization header) through one
`httpx.Client` (its own transport, httpcore + h11) and through the Wix client's `StdlibHttp`
(http.client, no httpx objects per call; the JSON body encoded as `WixTransport` does), both kept
alive, and counts this thread's CPU time per request; the two take turns, `--rounds` times, so the
box's noise falls on both alike.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from processor.wix.stdlib_http import StdlibHttp
from processor.wix.transport import json_body

SERVER = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = json.dumps({"order": {"id": "4f0e" * 8, "number": "10012", "priceSummary":
    {"total": {"amount": "120.00", "formattedAmount": "$120.00"}}, "lineItems": [{"id": "1"}]}}).encode()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
PAYLOAD = {"query": {"filter": {"bookingId": "b9b1e6a0-1d5f-4c3a-9d0e-2a1f3c4b5d6e"}, "paging": {"limit": 1}}}


HEADERS = {"Authorization": "token", "wix-site-id": "site"}
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def through_httpx(http: httpx.Client) -> Callable[[], object]:
    return lambda: http.post("/ecom/v1/orders/query", json=PAYLOAD, headers=HEADERS).json()


def through_stdlib(http: StdlibHttp) -> Callable[[], object]:
    def call() -> object:
        headers = {**HEADERS, "Content-Type": "application/json"}
        body = json_body(PAYLOAD)
        return http.send("POST", "/ecom/v1/orders/query", headers=headers, body=body, timeout=TIMEOUT).json()

    return call


def cpu_per_request(call: Callable[[], object], requests: int) -> float:
    """ms of this thread's CPU per request (answer decoded), after one warm-up call."""
    call()
    started = time.thread_time()
    for _ in range(requests):
        call()
    return 1000 * (time.thread_time() - started) / requests


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        calls = {
            "httpx.Client (httpcore + h11)": through_httpx(httpx.Client(base_url=base)),
            "StdlibHttp (HTTP/1.1 on sockets)": through_stdlib(StdlibHttp(base)),
        }
        figures: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                figures[name].append(cpu_per_request(call, args.requests))
    finally:
        server.terminate()
        server.wait(timeout=5)
    for name, values in figures.items():
        print(f"{name:32} " + "  ".join(f"{v:.3f}" for v in values) + " ms CPU per request")
    old, new = (min(values) for values in figures.values())
    print(
        json.dumps(
            {"best_httpx_ms": round(old, 3), "best_stdlib_ms": round(new, 3), "ratio": round(new / old, 2)}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
