"""Engine and session factory for the store, tuned per backend."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from processor.config import normalize_database_url

Sessions = sessionmaker[Session]


def utcnow() -> datetime:
    """Now, aware, in UTC: the store's one clock reading."""
    return datetime.now(UTC)


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine for the store; SQLite gets WAL, a busy timeout and its folder created."""
    url = normalize_database_url(database_url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 5)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection idle this long is pinged before use (a server restart or a firewall may have
# dropped it); one in steady use is not: a ping per checkout was a round trip per statement.
PING_AFTER_IDLE_SECONDS = 5.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:  # the pool drops this connection and checks out (or opens) another
        raise DisconnectionError(f"pooled connection lost while idle: {type(exc).__name__}") from exc


def make_sessions(engine: Engine) -> Sessions:
    """A session factory; sessions do not expire objects on commit (they are read after)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(sessions: Sessions) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    with sessions() as session, session.begin():
        yield session


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection on which each statement commits by itself, for statements that stand alone.

    On PostgreSQL that is one round trip per statement instead of three (BEGIN, the statement,
    COMMIT): a refund flow's seventeen one-statement transactions were 34 of its 54 round trips, and
    each round trip is CPU in the worker (bench/README.md). On SQLite it is a transaction as usual,
    begun IMMEDIATE (the embedded store's writers take its lock first). Nothing here undoes an earlier
    statement when a later one fails: use it only where each statement is whole on its own.
    """
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def autocommit_session(sessions: Sessions) -> Iterator[Session]:
    """A session whose statements commit by themselves on PostgreSQL (see `autocommit`); a session as
    usual on SQLite. For units of work that are one statement on PostgreSQL (the inbox's claim and
    finish); their `session.commit()` then costs no round trip."""
    with sessions() as session:
        if session.get_bind().dialect.name != "sqlite":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def dialect_insert(dialect: str) -> Any:
    """`insert` of this backend (PostgreSQL's or SQLite's), whose statements take `ON CONFLICT`."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def upsert_insert(session: Session, model: Any) -> Any:
    """An INSERT for this session's backend that takes `.on_conflict_do_nothing(...)` (PG and SQLite)."""
    return dialect_insert(session.get_bind().dialect.name)(model)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock up front: read-then-write transactions cannot deadlock on upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
