"""Stores and brokers of one part: a fresh PostgreSQL database, a Redis db of its own, or SQLite defaults.

PostgreSQL databases are created on the shared server (127.0.0.1:5432) and named like the test
fixtures' (`wmp_bench_<pid>_<n>`), so if this process dies the tests' stale-database sweep drops
them; the harness drops each one itself when its part ends. The Redis db number is leased with the
test fixtures' flock (`/tmp/wix-meetings-redis-locks/<host>-db<n>.lock`), so neither flushes the
other's db, and flushed before and after use.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import psycopg
import redis
from psycopg import sql

from tests.fixtures.servers import _drop_database, _drop_stale_databases

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
# db 15 is make bench's first choice; the tests lease from 1 upwards.
REDIS_DB_PREFERENCE = (14, 13, 12, 11, 10, 9, 8)
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
def leased_redis() -> Iterator[str]:
    """A Redis logical db no test or other benchmark uses now, flushed; its URL. Flushed on exit."""
    lock_dir = Path(tempfile.gettempdir()) / "wix-meetings-redis-locks"
    lock_dir.mkdir(exist_ok=True)
    host_port = re.sub(r"\W", "_", REDIS_BASE_URL.split("://", 1)[-1])
    for number in REDIS_DB_PREFERENCE:
        lock: IO[bytes] = open(lock_dir / f"{host_port}-db{number}.lock", "wb")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        url = f"{REDIS_BASE_URL}/{number}"
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
            yield url
        finally:
            with contextlib.suppress(redis.RedisError):
                client.flushdb()
            client.close()
            lock.close()
        return
    raise RuntimeError(f"every Redis db of {REDIS_DB_PREFERENCE} on {REDIS_BASE_URL} is leased")
