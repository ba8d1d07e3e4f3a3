"""The migrations build exactly the models' schema, on both stores, step by step or at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select

from processor.store.db import make_engine
from processor.store.migrate import is_current, upgrade
from processor.store.models import Base, Event, LedgerEntry, Notification


@pytest.fixture(params=["sqlite", "postgres"])
def empty_store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_database")()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _drift(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_upgrading_an_empty_store_gives_the_models_schema_with_no_drift(empty_store):
    upgrade(empty_store)

    assert is_current(empty_store)
    assert _drift(empty_store) == []


def test_a_store_at_the_first_migration_is_brought_to_head_and_upgrading_again_changes_nothing(empty_store):
    upgrade(empty_store, "0001")
    assert not is_current(empty_store)

    upgrade(empty_store)
    upgrade(empty_store)

    assert is_current(empty_store)
    assert _drift(empty_store) == []


def test_the_ledgers_email_and_ops_keys_move_to_the_outbox_as_sent_notifications(empty_store):
    upgrade(empty_store, "0002")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with empty_store.begin() as connection:
        connection.execute(
            insert(Event.__table__).values(
                id=7, wix_event_id="w-7", event_type="x", source="wix", status="succeeded", payload={},
                received_at=now, updated_at=now, attempt_count=1, replay_base=0,
            )
        )  # fmt: skip
        for key, state, event_id in (
            ("email:b1:booking_created:1", "done", 7),
            ("email:b1:booking_created:2", "done", 7),  # the same invitation, once per booking now
            ("email:b1:refund_issued_customer:3", "done", 7),
            ("email:b1:booking_rescheduled:2", "done", 7),
            ("email:svc1:link_deactivated:7", "done", 7),
            ("ops:link_deactivated:7", "done", 7),
            ("refund:b1", "done", 7),
            ("email:b2:booking_created:1", "pending", 7),
            ("email:b3:booking_created:1", "done", None),
        ):
            connection.execute(
                insert(LedgerEntry.__table__).values(
                    key=key, state=state, created_at=now, finished_at=now, event_id=event_id
                )
            )

    upgrade(empty_store)

    with empty_store.connect() as connection:
        moved = connection.execute(
            select(
                Notification.key,
                Notification.channel,
                Notification.kind,
                Notification.recipient_role,
                Notification.status,
                Notification.booking_id,
                Notification.event_id,
            ).order_by(Notification.key)
        ).all()
        kept = connection.execute(select(LedgerEntry.key).order_by(LedgerEntry.key)).scalars().all()
    assert [tuple(row) for row in moved] == [
        ("email:b1:booking_rescheduled:2", "email", "booking_rescheduled", "host", "sent", "b1", 7),
        ("email:b1:invitation", "email", "booking_created", "host", "sent", "b1", 7),
        ("email:b1:refund_issued_customer", "email", "refund_issued_customer", "customer", "sent", "b1", 7),
        ("email:svc1:link_deactivated:7", "email", "link_deactivated", "host", "sent", None, 7),
        ("ops:link_deactivated:7", "ops", "link.deactivated", "ops", "sent", None, 7),
    ]
    assert kept == ["email:b2:booking_created:1", "email:b3:booking_created:1", "refund:b1"]
    assert _drift(empty_store) == []
