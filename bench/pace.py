"""Open-loop pacer: POST one distinct token every 1/RATE s and measure latency from the SCHEDULED time.

wrk is closed-loop (a connection sends its next request only after the previous answer), and
Debian has no wrk2, so for the fixed-rate latency mode we send on a fixed schedule instead:
request i is due at t0 + i/RATE whatever happened before; latency = answer received - due time,
so a server stall shows up in every request it delays (no coordinated omission). The headline
p50/p99 are measured from the moment the request is actually written (the schedule never waits for
answers, so this is still open-loop); `due_p*` are measured from the due time and also include
the client's own timer lateness (asyncio wakes up to ~1 ms late, more on a busy CPU). Requests run
concurrently on as many connections as needed (gunicorn's sync worker closes the connection
after each answer anyway). Raw asyncio streams keep the client's own cost small (~0.1 ms/request).

Prints one line: PACEJSON {...} with counts, achieved rate and latency percentiles (µs).
Usage: python bench/pace.py --port P --rate 200 --duration 10 --tokens FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


async def _one(host: str, port: int, body: bytes, due: float, out: list[tuple[float, float, int]]) -> None:
    loop = asyncio.get_running_loop()
    status = 0
    sent = loop.time()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /webhooks/wix HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (host.encode(), port, len(body), body)
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await reader.readexactly(length)
        writer.close()
    except Exception:  # counted as an error (status 0)
        status = 0
    done = loop.time()
    out.append((done - due, done - sent, status))


async def _run(args: argparse.Namespace) -> dict[str, object]:
    with open(args.tokens, "rb") as fh:
        tokens = [line.strip() for line in fh if line.strip()]
    n = int(args.rate * args.duration)
    if n > len(tokens):
        raise SystemExit(f"need {n} tokens, {args.tokens} has {len(tokens)}")
    loop = asyncio.get_running_loop()
    out: list[tuple[float, float, int]] = []
    tasks = []
    t0 = loop.time() + 0.05
    late = 0.0
    for i in range(n):
        due = t0 + i / args.rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            late = max(late, -wait)
        tasks.append(asyncio.create_task(_one(args.host, args.port, tokens[i], due, out)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - t0
    lat = sorted(x[0] for x in out)
    svc = sorted(x[1] for x in out)

    def pct(values: list[float], p: float) -> int:
        return int(values[min(len(values) - 1, int(p / 100 * len(values)))] * 1e6) if values else 0

    ok = sum(1 for x in out if x[2] == 200)
    return {
        "requests": n,
        "ok": ok,
        "non200": n - ok,
        "errors": sum(1 for x in out if x[2] == 0),
        "rate_target": args.rate,
        "rate_achieved": round(n / elapsed, 1),
        "p50_us": pct(svc, 50),
        "p90_us": pct(svc, 90),
        "p99_us": pct(svc, 99),
        "max_us": pct(svc, 100),
        "due_p50_us": pct(lat, 50),
        "due_p99_us": pct(lat, 99),
        "client_max_late_us": int(late * 1e6),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--tokens", required=True)
    args = parser.parse_args()
    started = time.time()
    result = asyncio.run(_run(args))
    result["started"] = started
    print("PACEJSON " + json.dumps(result))


if __name__ == "__main__":
    main()
