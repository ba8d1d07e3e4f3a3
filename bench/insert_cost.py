"""What migration 0007 (event_counts triggers, the per-entity index) costs the receiver's insert.

    .venv/bin/python -m bench.insert_cost [--events 2000] [--rounds 4]

Two fresh PostgreSQL databases on the shared server, one migrated to 0006 (before) and one to head
(after); the receiver's own insert (`PostgresIngest.record`, one prepared autocommitted statement)
stores `--events` webhooks in each, alternating before/after for `--rounds` rounds so a busy box
disturbs both alike. Prints µs per insert for each round and the after/before ratio of the medians.
A SQLite pair does the same through `inbox.record_received`. Databases and files are removed after.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench.drain import PG_ADMIN_URL
from processor.store import inbox
from processor.store.db import make_engine, make_sessions
from processor.store.migrate import upgrade
from processor.store.pg_ingest import PostgresIngest
from processor.wix_event import WixEvent

PAYLOAD = {"eventType": "wix.bookings.v2.booking_created", "data": {"entityId": "x", "body": "y" * 1500}}


def _event(n: int, run: str) -> WixEvent:
    return WixEvent(
        wix_event_id=f"cost-{run}-{n}",
        event_type="wix.bookings.v2.booking_created",
        instance_id="site",
        entity_id=f"booking-{n}",
        entity_sequence=n,
        event_time=None,
        payload=PAYLOAD,
    )


def _pg_round(url: str, events: int) -> float:
    ingest = PostgresIngest(url)
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for n in range(events):
        ingest.record(_event(n, run))
    elapsed = time.perf_counter() - started
    ingest.close()
    return 1e6 * elapsed / events


def _sqlite_round(url: str, events: int) -> float:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    with sessions() as session:
        for n in range(events):
            inbox.record_received(session, _event(n, run))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return 1e6 * elapsed / events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    names = {"before": f"bench_cost_{uuid.uuid4().hex[:6]}", "after": f"bench_cost_{uuid.uuid4().hex[:6]}"}
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="bench-cost-"))
    try:
        pg = {label: f"{base}/{name}" for label, name in names.items()}
        lite = {label: f"sqlite:///{work / f'{label}.sqlite3'}" for label in names}
        for label, revision in (("before", "0006"), ("after", "head")):
            for url in (pg[label], lite[label]):
                engine = make_engine(url)
                upgrade(engine, revision)
                engine.dispose()
        for store, round_of, urls in (("postgresql", _pg_round, pg), ("sqlite", _sqlite_round, lite)):
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for label in ("before", "after"):
                    times[label].append(round_of(urls[label], args.events))
            ratio = statistics.median(times["after"]) / statistics.median(times["before"])
            print(
                f"{store}: µs per insert before {[round(t) for t in times['before']]}, "
                f"after {[round(t) for t in times['after']]}; after/before of medians {ratio:.3f}"
            )
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for path in work.glob("*"):
            path.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
