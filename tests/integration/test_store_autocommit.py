"""Statements that stand alone commit by themselves on PostgreSQL; the pool's next user gets a transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import Session

from processor.store.db import autocommit, autocommit_session, make_engine, make_sessions
from processor.store.models import LedgerEntry

INSERT = "INSERT INTO ledger (key, state, created_at) VALUES ('{key}', 'done', CURRENT_TIMESTAMP)"


@pytest.fixture
def engine(flow_store_url: str) -> Iterator[Engine]:
    """A migrated store, SQLite and PostgreSQL; one pooled connection, so every checkout reuses it."""
    engine = make_engine(flow_store_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _keys(conn: Connection | Session, key: str) -> list[tuple[str]]:
    """The ledger keys equal to `key` that this connection or session sees."""
    return [tuple(row) for row in conn.execute(select(LedgerEntry.key).where(LedgerEntry.key == key))]


def _begins(engine: Engine) -> list[bool]:
    """For each transaction SQLAlchemy begins: whether the database connection sends a BEGIN."""
    sent: list[bool] = []

    def begun(conn: object) -> None:
        dbapi = conn.connection.dbapi_connection  # type: ignore[attr-defined]
        sent.append(engine.dialect.name == "sqlite" or not dbapi.autocommit)

    event.listen(engine, "begin", begun)
    return sent


def test_on_postgresql_an_autocommit_statement_sends_no_begin_and_is_committed_at_once(
    engine: Engine,
) -> None:
    begins = _begins(engine)
    with autocommit(engine) as conn:
        conn.execute(text(INSERT.format(key="k-1")))
        if engine.dialect.name == "sqlite":  # a transaction as usual (BEGIN IMMEDIATE holds the lock)
            seen = _keys(conn, "k-1")
        else:  # another connection sees it before the block ends
            other_engine = make_engine(engine.url.render_as_string(hide_password=False))
            with other_engine.connect() as other:
                seen = _keys(other, "k-1")
            other_engine.dispose()
    assert seen == [("k-1",)]
    assert begins == ([True] if engine.dialect.name == "sqlite" else [False])


def test_the_next_user_of_the_pooled_connection_gets_a_real_transaction(engine: Engine) -> None:
    with autocommit(engine) as conn:
        conn.execute(select(1))
    begins = _begins(engine)
    with engine.begin() as conn:
        conn.execute(text(INSERT.format(key="k-2")))
        conn.rollback()
    with engine.connect() as conn:
        assert _keys(conn, "k-2") == []
    assert begins[0] is True


def test_an_autocommit_session_commits_each_statement_and_leaves_the_pool_transactional(
    engine: Engine,
) -> None:
    sessions = make_sessions(engine)
    with autocommit_session(sessions) as session:
        session.execute(text(INSERT.format(key="k-3")))
        session.rollback()  # nothing to undo on PostgreSQL: the statement committed by itself
    with sessions() as session:
        kept = _keys(session, "k-3")
        session.execute(text(INSERT.format(key="k-4")))
        session.rollback()
        rolled_back = _keys(session, "k-4")
    assert kept == ([] if engine.dialect.name == "sqlite" else [("k-3",)])
    assert rolled_back == []
