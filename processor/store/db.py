"""Engine and session factory for the store, tuned per backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
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
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 5)
    return create_engine(url, connect_args=connect_args, **kwargs)


def make_sessions(engine: Engine) -> Sessions:
    """A session factory; sessions do not expire objects on commit (they are read after)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(sessions: Sessions) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    with sessions() as session, session.begin():
        yield session


def upsert_insert(session: Session, model: Any) -> Any:
    """An INSERT for this session's backend that takes `.on_conflict_do_nothing(...)` (PG and SQLite)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


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
