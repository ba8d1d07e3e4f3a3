"""Stores and brokers of one part: a fresh PostgreSQL database, a Redis db of its own, or SQLite defaults.

PostgreSQL databases are created on the shared server (127.0.0.1:5432) and named like the test
fixtures' (`wmp_bench_<pid>_<n>`), so if this process dies the tests' stale-database sweep drops
them; the harness drops each one itself when its part ends. Redis is a private server per part.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from tests.fixtures.servers import PrivateRedis, _drop_database, _drop_stale_databases, free_port

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_names = itertools.count(1)


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty database on the shared server; its SQLAlchemy URL. Dropped on exit."""
    name = f"wmp_bench_{os.getpid()}_{next(_names)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        _drop_stale_databases(admin, PG_ADMIN_URL)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            yield f"{base}/{name}"
        finally:
            with contextlib.suppress(psycopg.Error):
                _drop_database(admin, name)


@contextlib.contextmanager
def private_redis(work_dir: Path) -> Iterator[str]:
    """A redis-server of the part's own on a free loopback port (the soak's `PrivateRedis`); its URL.

    Not a db number on the shared server: a harness or test that does not take the fixtures' flock
    (seen while other benchmarks ran) would share the `wix-meetings` queue with this part, and
    each side's worker would take the other's messages. Stopped by pid on exit.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed (run scripts/ensure-test-services.sh)")
    work_dir.mkdir(parents=True, exist_ok=True)
    server = PrivateRedis(executable, free_port(), work_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop(grace=2)
