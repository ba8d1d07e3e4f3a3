"""`run_alone`: one statement, committed by itself, sent on the driver directly on PostgreSQL; the
values go in and come out as through SQLAlchemy Core, and driver errors arrive as Core raises them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy.exc
from sqlalchemy import Engine, bindparam, event, insert, select, text, update

from processor.store.db import make_engine
from processor.store.driver import run_alone
from processor.store.models import LedgerEntry
from tests.fixtures.servers import free_port

_KEY = LedgerEntry.key == bindparam("k")
INSERT_ENTRY = insert(LedgerEntry).returning(LedgerEntry.key, LedgerEntry.created_at, LedgerEntry.result)
SELECT_ENTRY = select(LedgerEntry.state, LedgerEntry.created_at, LedgerEntry.result).where(_KEY)
MARK_DONE = update(LedgerEntry).where(_KEY).values(state="done")
TAKEN_AT = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(flow_store_url: str) -> Iterator[Engine]:
    """A migrated store, SQLite and PostgreSQL; one pooled connection, so every call reuses it."""
    engine = make_engine(flow_store_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _insert(engine: Engine, key: str, result: dict[str, object] | None = None) -> tuple[object, ...]:
    ran = run_alone(
        engine,
        INSERT_ENTRY,
        {"key": key, "state": "pending", "created_at": TAKEN_AT, "result": result},
    )
    (row,) = ran.rows
    return row


def test_values_go_in_and_come_back_as_through_core(engine: Engine) -> None:
    result = {"refund_id": "r-1", "amount": "25.00", "lines": [1, 2], "note": "Zoë's ☕"}
    assert _insert(engine, "refund:b-1", result) == ("refund:b-1", TAKEN_AT, result)
    ran = run_alone(engine, SELECT_ENTRY, {"k": "refund:b-1"})
    with engine.connect() as conn:
        through_core = [tuple(row) for row in conn.execute(SELECT_ENTRY, {"k": "refund:b-1"})]
    assert ran.rows == through_core == [("pending", TAKEN_AT, result)]
    assert ran.first() == ran.rows[0]
    assert run_alone(engine, SELECT_ENTRY, {"k": "nobody"}).scalar() is None


def test_rowcount_counts_the_rows_a_statement_changed(engine: Engine) -> None:
    _insert(engine, "k-1")
    assert run_alone(engine, MARK_DONE, {"k": "k-1"}).rowcount == 1
    assert run_alone(engine, MARK_DONE, {"k": "k-missing"}).rowcount == 0
    assert run_alone(engine, SELECT_ENTRY, {"k": "k-1"}).scalar() == "done"


def test_a_statement_is_committed_when_it_returns_and_the_next_user_gets_a_transaction(
    engine: Engine,
) -> None:
    _insert(engine, "k-2")
    other = make_engine(engine.url.render_as_string(hide_password=False))
    with other.connect() as conn:
        seen = conn.execute(select(LedgerEntry.key).where(LedgerEntry.key == "k-2")).all()
    other.dispose()
    assert [tuple(row) for row in seen] == [("k-2",)]
    with engine.begin() as conn:  # the same pooled connection, no longer in autocommit
        conn.execute(MARK_DONE, {"k": "k-2"})
        conn.rollback()
    assert run_alone(engine, SELECT_ENTRY, {"k": "k-2"}).scalar() == "pending"


def test_a_refused_statement_raises_as_core_does_and_the_connection_serves_the_next(
    engine: Engine,
) -> None:
    _insert(engine, "k-3")
    with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
        _insert(engine, "k-3")
    assert not raised.value.connection_invalidated
    assert run_alone(engine, SELECT_ENTRY, {"k": "k-3"}).scalar() == "pending"


def test_statement_listeners_hear_each_statement(engine: Engine) -> None:
    heard: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: heard.append(args[2]))
    run_alone(engine, SELECT_ENTRY, {"k": "k-4"})
    begun = ["BEGIN IMMEDIATE"] if engine.dialect.name == "sqlite" else []  # SQLite's transaction
    assert heard[:-1] == begun
    assert heard[-1].lstrip().upper().startswith("SELECT")


def test_an_expanding_in_is_refused_on_postgresql(engine: Engine) -> None:
    expanding = select(LedgerEntry.key).where(LedgerEntry.key.in_(bindparam("keys", expanding=True)))
    if engine.dialect.name == "sqlite":  # rendered per call by Core, as everywhere on SQLite
        assert run_alone(engine, expanding, {"keys": ["a", "b"]}).rows == []
        return
    with pytest.raises(ValueError, match="ANY"):
        run_alone(engine, expanding, {"keys": ["a", "b"]})


@pytest.mark.parametrize("flow_store_url", ["postgres"], indirect=True)
def test_a_lost_connection_is_reported_invalidated_and_the_next_statement_gets_a_new_one(
    engine: Engine,
) -> None:
    _insert(engine, "k-5")
    with engine.connect() as conn:  # the pool's one connection: its server process
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    killer = make_engine(engine.url.render_as_string(hide_password=False))
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
        # within the idle-ping window: the pool hands the dead connection out unchecked
        run_alone(engine, SELECT_ENTRY, {"k": "k-5"})
    assert raised.value.connection_invalidated
    assert run_alone(engine, SELECT_ENTRY, {"k": "k-5"}).scalar() == "pending"


def test_a_server_that_is_not_there_is_an_operational_error() -> None:
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/test")
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError):
            run_alone(engine, SELECT_ENTRY, {"k": "k-6"})
    finally:
        engine.dispose()


def test_a_taken_key_older_than_a_lease_compares_as_through_core(engine: Engine) -> None:
    """Datetimes bound by the driver path compare in SQL as Core's do (the ledger's take-over)."""
    _insert(engine, "k-7")
    older = select(LedgerEntry.key).where(
        _KEY, LedgerEntry.created_at < bindparam("before", type_=LedgerEntry.__table__.c.created_at.type)
    )
    assert run_alone(engine, older, {"k": "k-7", "before": TAKEN_AT + timedelta(seconds=1)}).rows == [
        ("k-7",)
    ]
    assert run_alone(engine, older, {"k": "k-7", "before": TAKEN_AT}).rows == []


def test_a_statement_stopped_midway_leaves_no_autocommit_connection_in_the_pool(engine: Engine) -> None:
    """Anything but a driver error (a time limit raised into the call, a bug) invalidates the
    connection: handed on in autocommit, the next user's transaction would commit statement by
    statement and its rollback undo nothing."""

    def stop(*_args: object) -> None:
        raise RuntimeError("stopped midway")

    event.listen(engine, "before_cursor_execute", stop)
    with pytest.raises(RuntimeError, match="midway"):
        run_alone(engine, SELECT_ENTRY, {"k": "k-8"})
    event.remove(engine, "before_cursor_execute", stop)
    with engine.begin() as conn:
        conn.execute(INSERT_ENTRY, {"key": "k-8", "state": "pending", "created_at": TAKEN_AT})
        conn.rollback()
    assert run_alone(engine, SELECT_ENTRY, {"k": "k-8"}).rows == []
