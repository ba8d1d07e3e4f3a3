"""What the fake Wix costs: requests/s and the fake's own CPU per request, on loopback (Linux).

    python -m processor.devtools.fake_wix_bench [--requests 5000] [--threads 1] [--latency-ms 0]

Starts `wix-meetings dev fake-wix` in its own process (so its CPU is measured apart from the client's),
sends Get Service calls over keep-alive httpx clients, one per thread, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _start_fake(port: int, latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    args = [sys.executable, "-m", "processor", "dev", "fake-wix", "--port", str(port)]
    if latency_ms:  # only then: the same command measures an older fake without the option
        args += ["--latency-ms", str(latency_ms)]
    fake = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    printed = ""
    while "Ctrl-C to stop" not in printed:
        line = fake.stdout.readline()
        if not line:
            raise SystemExit(f"the fake did not start:\n{printed}")
        printed += line
    return fake, printed


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"{pattern!r} not in the fake's output")
    return match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000, help="calls to measure (after 200 warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="client threads, one connection each")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake's latency")
    parser.add_argument("--port", type=int, default=9877)
    args = parser.parse_args()
    fake, printed = _start_fake(args.port, args.latency_ms)
    try:
        headers = {"Authorization": _found(r"WIX_API_KEY=(\S+)", printed)}
        headers["wix-site-id"] = _found(r"WIX_SITE_ID=(\S+)", printed)
        path = "/bookings/v2/services/" + _found(r"service_id: (\S+)", printed)
        per_thread = max(1, args.requests // args.threads)

        def run(count: int) -> None:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{args.port}", headers=headers, timeout=30
            ) as client:
                for _ in range(count):
                    client.get(path).raise_for_status()

        run(200)
        threads = [threading.Thread(target=run, args=(per_thread,)) for _ in range(args.threads)]
        cpu, started = _cpu_seconds(fake.pid), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds(fake.pid) - cpu
    finally:
        fake.terminate()
        fake.wait(10)
    total = per_thread * args.threads
    figures = {
        "requests": total,
        "threads": args.threads,
        "latency_ms": args.latency_ms,
        "requests_per_second": round(total / elapsed),
        "fake_cpu_us_per_request": round(1e6 * cpu / total),
        "fake_cpu_share_of_one_core": round(cpu / elapsed, 3),
        "load_average_1m": os.getloadavg()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
