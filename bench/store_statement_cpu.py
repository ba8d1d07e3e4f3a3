"""Client CPU of one statement that stands alone: SQLAlchemy Core on an autocommit connection against
processor/store/driver.py's `run_alone`, alternated.

    .venv/bin/python bench/store_statement_cpu.py [--statements 2000] [--rounds 5]

On a fresh, migrated PostgreSQL database (dropped on exit), each round takes and completes ledger
keys, the refund flow's own two statements (`INSERT … ON CONFLICT DO NOTHING RETURNING` and the
conditional `UPDATE`), once through `db.autocommit` + `Connection.execute` (what the ledger and the
outbox did before) and once through `run_alone` (what they do now), counting this thread's CPU time
per statement; the two take turns, `--rounds` times, so the box's noise falls on both alike. A
third line is the floor: the same SQL on one psycopg connection, no pool, no SQLAlchemy.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.processing.stores import fresh_postgres
from processor.store.db import autocommit, make_engine, utcnow
from processor.store.driver import run_alone
from processor.store.ledger import _COMPLETE, _insert
from processor.store.migrate import upgrade

_keys = itertools.count()


def _take_params() -> dict[str, Any]:
    return {"key": f"bench:{next(_keys)}", "state": "pending", "created_at": utcnow(), "event_id": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--statements", type=int, default=2000, help="statements per path per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with fresh_postgres() as url:
        engine = make_engine(url)
        upgrade(engine)
        insert = _insert("postgresql")
        pairs = args.statements // 2

        def through_core() -> None:
            for _ in range(pairs):
                params = _take_params()
                with autocommit(engine) as conn:
                    conn.execute(insert, params).scalar_one_or_none()
                with autocommit(engine) as conn:
                    conn.execute(
                        _COMPLETE, {"k": params["key"], "taken_at": params["created_at"], "now": utcnow()}
                    )

        def through_driver() -> None:
            for _ in range(pairs):
                params = _take_params()
                run_alone(engine, insert, params).scalar()
                run_alone(
                    engine, _COMPLETE, {"k": params["key"], "taken_at": params["created_at"], "now": utcnow()}
                )

        raw = engine.raw_connection()
        floor_connection = raw.dbapi_connection
        floor_connection.autocommit = True  # type: ignore[union-attr]
        take_sql = (
            "INSERT INTO ledger (key, state, created_at, event_id) VALUES (%(key)s, %(state)s, "
            "%(created_at)s, %(event_id)s) ON CONFLICT (key) DO NOTHING RETURNING ledger.key"
        )
        complete_sql = (
            "UPDATE ledger SET state = 'done', finished_at = %(now)s "
            "WHERE key = %(k)s AND created_at = %(taken_at)s"
        )

        def floor() -> None:
            with floor_connection.cursor() as cursor:  # type: ignore[union-attr]
                for _ in range(pairs):
                    params = _take_params()
                    cursor.execute(take_sql, params).fetchone()
                    cursor.execute(
                        complete_sql,
                        {"k": params["key"], "taken_at": params["created_at"], "now": datetime.now(UTC)},
                    )

        paths: dict[str, Callable[[], None]] = {
            "Core, db.autocommit": through_core,
            "driver.run_alone": through_driver,
            "psycopg alone (floor)": floor,
        }
        for path in paths.values():  # warm: statements compiled and prepared
            path()
        spent: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, path in paths.items():
                began = time.thread_time()
                path()
                spent[name].append((time.thread_time() - began) / (2 * pairs) * 1e6)
        raw.close()
        engine.dispose()
    print(f"client CPU per statement, {2 * pairs} per path per round, {args.rounds} rounds alternated")
    for name, figures in spent.items():
        rounds = " / ".join(f"{f:.0f}" for f in figures)
        print(f"  {name:24s} median {statistics.median(figures):6.1f} µs   ({rounds})")


if __name__ == "__main__":
    main()
