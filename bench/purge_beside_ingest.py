"""Purge benchmark (issue 12): delete N old events while events are stored and processed beside it.

    python bench/purge_beside_ingest.py --events 100000 --ingest 2000 \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_purge

The database must exist and be empty (it is migrated here); without --database-url a fresh SQLite
file in a temporary directory is used. First `--ingest` events are stored, claimed and finished with
no purge (the baseline), then as many again while one purge deletes the N old events (each with one
attempt), batch 500. Prints one JSON line: the purge's rate, and each ingest phase's p50/p99/max.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from processor.store import inbox
from processor.store.db import Sessions, make_engine, make_sessions
from processor.store.migrate import upgrade
from processor.store.models import Attempt, Event
from processor.store.retention import RetentionPolicy, purge
from processor.wix_event import WixEvent

POLICY = RetentionPolicy(finished=timedelta(days=30), dead=timedelta(days=90), payload=timedelta(days=14))


def seed_old(sessions: Sessions, count: int) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    payload = {
        "data": {"actionEvent": {"body": {"booking": {"id": "b", "contactDetails": {"email": "x@y.z"}}}}}
    }
    for start in range(0, count, 10_000):
        rows = [
            {
                "wix_event_id": f"old-{n}", "event_type": "bench.old", "source": "wix",
                "status": "succeeded", "payload": payload, "received_at": old, "updated_at": old,
                "attempt_count": 1, "replay_base": 0,
            }
            for n in range(start, min(count, start + 10_000))
        ]  # fmt: skip
        with sessions() as session:
            ids = session.execute(insert(Event).returning(Event.id), rows).scalars().all()
            session.execute(
                insert(Attempt),
                [{"event_id": i, "number": 1, "started_at": old, "outcome": "succeeded"} for i in ids],
            )
            session.commit()


def ingest(sessions: Sessions, prefix: str, count: int) -> list[float]:
    """Seconds each event took to be stored, claimed and finished."""
    took = []
    for n in range(count):
        started = time.perf_counter()
        with sessions() as session:
            event = WixEvent(f"{prefix}-{n}", "bench.new", "site", f"e{n}", None, None, {"data": {}})
            event_id, _ = inbox.record_received(session, event)
            claimed = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))
            assert claimed is not None
            inbox.finish(session, claimed, status=inbox.S.SUCCEEDED, outcome="succeeded")
        took.append(time.perf_counter() - started)
    return took


def summary(took: list[float]) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--ingest", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-purge-"))
    engine = make_engine(args.database_url or f"sqlite:///{work / 'store.sqlite3'}")
    upgrade(engine)
    sessions = make_sessions(engine)
    seed_old(sessions, args.events)
    baseline = ingest(sessions, "base", args.ingest)
    result: dict[str, Any] = {}

    def run_purge() -> None:
        started = time.perf_counter()
        report = purge(sessions, POLICY, batch_size=500, budget=timedelta(hours=1))
        result.update(seconds=time.perf_counter() - started, deleted=report.events_deleted)

    purger = threading.Thread(target=run_purge)
    purger.start()
    beside = ingest(sessions, "beside", args.ingest)
    purge_ended_during_ingest = not purger.is_alive()
    purger.join()
    with sessions() as session:
        left = len(session.execute(select(Event.id).where(Event.event_type == "bench.old")).all())
    engine.dispose()
    print(
        json.dumps(
            {
                "store": engine.dialect.name,
                "old_events": args.events,
                "deleted": result["deleted"],
                "left": left,
                "purge_seconds": round(result["seconds"], 2),
                "purge_events_per_s": round(result["deleted"] / result["seconds"]),
                "purge_ended_during_ingest": purge_ended_during_ingest,
                "ingest_alone": summary(baseline),
                "ingest_beside_purge": summary(beside),
            }
        )
    )


if __name__ == "__main__":
    main()
