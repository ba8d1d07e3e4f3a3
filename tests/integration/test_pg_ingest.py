"""The receiver's PostgreSQL hot path: one statement stores a new event or finds the stored one."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import select

from processor.store import inbox
from processor.store.db import make_engine, make_sessions
from processor.store.migrate import upgrade
from processor.store.models import Event
from processor.store.pg_ingest import PostgresIngest, libpq_conninfo
from processor.wix_event import WixEvent


def _event(wix_event_id: str) -> WixEvent:
    return WixEvent(
        wix_event_id=wix_event_id,
        event_type="wix.bookings.v2.booking_created",
        instance_id="site-1",
        entity_id="booking-1",
        entity_sequence=7,
        event_time=None,
        payload={"data": {"createdEvent": {"entity": {"id": "booking-1"}}}},
    )


@pytest.fixture
def database_url(fresh_postgres_database, pg_template):
    return fresh_postgres_database(template=pg_template)


def _row(database_url: str, event_id: int) -> dict:
    engine = make_engine(database_url)
    with make_sessions(engine)() as session:
        event = session.execute(select(Event).where(Event.id == event_id)).scalar_one()
        columns = {name: getattr(event, name) for name in inbox.EVENT_COLUMNS}
    engine.dispose()
    return columns


def _rival_holding(database_url: str, wix_event_id: str) -> tuple[psycopg.Connection, int]:
    """Another delivery's transaction, left open, holding a row with this Wix event id."""
    rival = psycopg.connect(libpq_conninfo(database_url))
    row = rival.execute(
        "INSERT INTO events (wix_event_id, event_type, source, status, payload, received_at, updated_at,"
        " attempt_count, replay_base) VALUES (%s, 't', 'wix', 'received', '{}', now(), now(), 0, 0)"
        " RETURNING id",
        [wix_event_id],
    ).fetchone()
    return rival, row[0]


def test_a_new_event_is_stored_and_a_redelivery_finds_it(database_url):
    ingest = PostgresIngest(database_url)

    first = ingest.record(_event("evt-1"))
    again = ingest.record(_event("evt-1"))

    assert first[1] is True
    assert again == (first[0], False)
    ingest.close()


def test_it_stores_the_same_row_as_the_orm_path(database_url):
    ingest = PostgresIngest(database_url)
    fast_id, _ = ingest.record(_event("evt-fast"))
    engine = make_engine(database_url)
    with make_sessions(engine)() as session:
        orm_id, _ = inbox.record_received(session, _event("evt-orm"))
    engine.dispose()

    fast, orm = _row(database_url, fast_id), _row(database_url, orm_id)

    for row in (fast, orm):
        row.pop("wix_event_id"), row.pop("received_at"), row.pop("updated_at")
    assert fast == orm
    assert fast["payload"] == {"data": {"createdEvent": {"entity": {"id": "booking-1"}}}}
    assert fast["status"] == "received"
    ingest.close()


def test_losing_a_race_to_an_uncommitted_delivery_answers_with_its_row(database_url):
    ingest = PostgresIngest(database_url)
    rival, rival_id = _rival_holding(database_url, "evt-race")
    answers: list[tuple[int, bool]] = []
    waiting = threading.Thread(target=lambda: answers.append(ingest.record(_event("evt-race"))))
    waiting.start()
    time.sleep(0.3)  # the INSERT now waits on the rival's row lock
    assert answers == []

    rival.commit()
    waiting.join(timeout=10)

    assert answers == [(rival_id, False)]
    rival.close()
    ingest.close()


def test_a_connection_the_server_dropped_is_replaced_once(database_url):
    ingest = PostgresIngest(database_url)
    ingest.record(_event("evt-a"))
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    event_id, is_new = ingest.record(_event("evt-b"))

    assert is_new is True
    assert _row(database_url, event_id)["entity_id"] == "booking-1"
    ingest.close()


def test_a_server_that_is_down_raises_an_operational_error(throwaway_postgres):
    upgrade(make_engine(throwaway_postgres.url))
    ingest = PostgresIngest(throwaway_postgres.url)
    ingest.record(_event("evt-up"))
    throwaway_postgres.stop()

    with pytest.raises(psycopg.OperationalError):
        ingest.record(_event("evt-down"))


def test_a_statement_stuck_behind_a_lock_gives_up_instead_of_holding_the_web_worker(database_url):
    ingest = PostgresIngest(database_url, statement_timeout_ms=300)
    ingest.record(_event("evt-warm"))  # a connection in hand, so the give-up is retried once
    rival, _ = _rival_holding(database_url, "evt-stuck")  # never commits
    started = time.monotonic()

    with pytest.raises(psycopg.errors.QueryCanceled):
        ingest.record(_event("evt-stuck"))

    assert time.monotonic() - started < 3
    rival.close()
    ingest.close()
