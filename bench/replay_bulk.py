"""Bulk replay benchmark (issue 10): insert N dead events in one statement, time one replay of all.

    python bench/replay_bulk.py --events 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_replay \
        --broker-url redis://127.0.0.1:6379/15

The database must exist and be empty (it is migrated here); without --database-url a fresh SQLite
file in a temporary directory is used, without --broker-url the embedded SQLite broker. Nothing
consumes the queue; flush the Redis db afterwards. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from processor import replay
from processor.config import load_settings
from processor.queue import make_celery
from processor.store import event_queries
from processor.store.db import make_engine, make_sessions
from processor.store.migrate import upgrade
from processor.store.models import Event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--broker-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    env = {
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'store.sqlite3'}",
        "CELERY_BROKER_URL": args.broker_url or f"sqla+sqlite:///{work / 'broker.sqlite3'}",
        "SECRET_KEY": "bench-replay-secret-key-0123456789abcdef",
    }
    settings = load_settings(env, need_public_key=False)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "wix_event_id": f"bench-{n}",
            "event_type": "bench.dead",
            "source": "wix",
            "status": "dead",
            "payload": {"eventType": "bench.dead", "data": {}},
            "received_at": now,
            "updated_at": now,
            "attempt_count": 1,
            "replay_base": 0,
        }
        for n in range(args.events)
    ]
    with sessions() as session:
        session.execute(insert(Event), rows)
        session.commit()
        ids = event_queries.matching_ids(session, event_queries.EventFilter(status="dead"), limit=args.events)
        started = time.perf_counter()
        result = replay.replay(session, make_celery(settings), ids)
        seconds = time.perf_counter() - started
        queued = session.execute(select(func.count()).where(Event.status == "queued")).scalar_one()
    engine.dispose()
    store = settings.database_url.split(":", 1)[0]
    print(
        json.dumps(
            {
                "events": args.events,
                "store": store,
                "replayed": len(result.replayed),
                "published": result.published,
                "queued": queued,
                "seconds": round(seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
