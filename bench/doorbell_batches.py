"""The doorbell alone: ring → reported queued delay and messages sent, at fixed ring rates.

    .venv/bin/python bench/doorbell_batches.py [--repo PATH] [--seconds 5] [--rates 50,200,1000,2000]

Loads `processor.queue.Doorbell` from the checkout at --repo (a checkout of `main` gives the old
fixed-window doorbell in the same session), publishes to Redis db 14 (flushed), rings ids at each
rate from one thread (as a receiver's request threads would) and records, per id, the time from its
ring to the doorbell's report that the broker took it. One line per rate: DOORBELLJSON {...}.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import redis

HERE = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", default=str(HERE))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="50,200,1000,2000")
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.repo).resolve()))
    queue = importlib.import_module("processor.queue")
    config = importlib.import_module("processor.config")
    url = f"redis://127.0.0.1:6379/{args.redis_db}"
    celery = queue.make_celery(config.load_settings({"CELERY_BROKER_URL": url}, need_public_key=False))
    for rate in [float(r) for r in args.rates.split(",")]:
        redis.Redis.from_url(url).flushdb()
        rung: dict[int, float] = {}
        delays: list[float] = []
        batches: list[int] = []
        lock = threading.Lock()

        def on_queued(
            ids: list[int],
            rung: dict[int, float] = rung,
            delays: list[float] = delays,
            batches: list[int] = batches,
            lock: threading.Lock = lock,
        ) -> None:
            now = time.perf_counter()
            with lock:
                batches.append(len(ids))
                delays.extend(now - rung[i] for i in ids)

        doorbell = queue.Doorbell(celery, on_queued)
        count = int(rate * args.seconds)
        start = time.perf_counter()
        for n in range(count):
            due = start + n / rate
            while (late := due - time.perf_counter()) > 0:
                time.sleep(late)
            rung[n] = time.perf_counter()
            doorbell.ring(n)
        deadline = time.perf_counter() + 10
        while len(delays) < count and time.perf_counter() < deadline:
            time.sleep(0.05)
        ordered = sorted(delays)
        result = {
            "repo": args.repo,
            "rate": rate,
            "rung": count,
            "reported": len(delays),
            "messages": len(batches),
            "ids_per_message": round(count / max(1, len(batches)), 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2),
        }
        print("DOORBELLJSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
