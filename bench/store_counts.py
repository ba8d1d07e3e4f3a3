"""Events in the store by status, and messages waiting in the broker: one JSON line.

Waits (up to --settle s) until the number of `received` events stops falling, so the doorbell
has had its chance to publish what it was handed. Read-only: the store with plain SQL (no product
imports, so refactors elsewhere in the tree do not break the benchmark), the broker with a plain
Redis LLEN or a count of kombu's SQLAlchemy message table.
Usage: python bench/store_counts.py  (DATABASE_URL / CELERY_BROKER_URL from the environment)
"""

from __future__ import annotations

import argparse
import json
import os
import time

from sqlalchemy import create_engine, text

QUEUE = "wix-meetings"


def broker_depth(url: str) -> int | None:
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        try:
            return int(client.llen(QUEUE))
        finally:
            client.close()
    if url.startswith("sqla+"):
        engine = create_engine(url[len("sqla+") :])
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM kombu_message")).scalar_one())
        finally:
            engine.dispose()
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///var/wix-meetings.sqlite3"
    broker_url = os.environ.get("CELERY_BROKER_URL") or "sqla+sqlite:///var/broker.sqlite3"
    for scheme in ("postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            database_url = "postgresql+psycopg://" + database_url[len(scheme) :]
    engine = create_engine(database_url)
    deadline = time.monotonic() + args.settle
    previous = None
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM events GROUP BY status")).all()
        counts = {status: int(n) for status, n in rows}
        received = counts.get("received", 0)
        if received == 0 or time.monotonic() > deadline or received == previous:
            break
        previous = received
        time.sleep(0.5)
    engine.dispose()
    print("COUNTSJSON " + json.dumps({"by_status": counts, "broker_depth": broker_depth(broker_url)}))


if __name__ == "__main__":
    main()
