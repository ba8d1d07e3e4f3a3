"""The purge on both stores: exactly the right events deleted, redacted or kept, safely beside live work."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from processor.config import load_settings
from processor.store import inbox
from processor.store.db import Sessions, utcnow
from processor.store.ledger import Ledger
from processor.store.models import Attempt, Event, LedgerEntry, Notification, PurgedNotice
from processor.store.paused_links import deactivated_links, record_deactivated_link
from processor.store.retention import RetentionPolicy, RetentionTooShortError, plan, purge
from processor.wix_event import WixEvent
from tests.support.stored_events import booking_payload, store_event

POLICY = RetentionPolicy(finished=timedelta(days=30), dead=timedelta(days=90), payload=timedelta(days=14))
STATUSES = ("received", "queued", "processing", "failed", "succeeded", "ignored", "skipped", "dead")
AGES = (1, 20, 45, 100)  # days: fresh, past the payload age, past RETENTION_DAYS, past DEAD_RETENTION_DAYS


def every_status_and_age(sessions: Sessions) -> dict[tuple[str, int], int]:
    return {(s, age): store_event(sessions, f"{s}-{age}", s, age) for s in STATUSES for age in AGES}


def expected_fate(status: str, age: int) -> str:
    if status in ("succeeded", "ignored", "skipped") and age > 30:
        return "deleted"
    if status == "dead" and age > 90:
        return "deleted"
    if status in ("succeeded", "ignored", "skipped", "dead") and age > 14:
        return "redacted"
    return "kept"


def fates(sessions: Sessions, ids: dict[tuple[str, int], int]) -> dict[tuple[str, int], str]:
    with sessions() as session:
        rows = {r.id: r for r in session.execute(select(Event)).scalars()}
    return {
        key: "deleted" if i not in rows else ("redacted" if rows[i].payload_redacted_at else "kept")
        for key, i in ids.items()
    }


def count(sessions: Sessions, model: Any) -> int:
    with sessions() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_events_of_every_status_and_age_are_deleted_redacted_or_kept_as_the_rules_say(sessions):
    ids = every_status_and_age(sessions)

    report = purge(sessions, POLICY, batch_size=3)

    assert fates(sessions, ids) == {key: expected_fate(*key) for key in ids}
    assert report.deleted == {"succeeded": 2, "ignored": 2, "skipped": 2, "dead": 1}
    assert report.attempts_deleted == report.notifications_deleted == 7
    assert report.payloads_redacted == 3 + 2  # finished at 20 days; dead at 20 and 45 days
    assert count(sessions, Attempt) == count(sessions, Notification) == len(ids) - 7
    assert report.complete


def test_a_redacted_payload_keeps_ids_type_statuses_and_amounts_and_loses_the_person():
    from processor.store.redaction import redact_payload

    booking = redact_payload(booking_payload("b-1"))["data"]["actionEvent"]["body"]["booking"]

    assert booking == {
        "id": "b-1",
        "status": "CANCELED",
        "paymentStatus": "PAID",
        "contactDetails": {"contactId": "c-1"},
        "additionalFields": [{"id": "f-1"}],
        "totalPrice": {"value": "50.00", "currency": "USD"},
    }


def test_redaction_drops_the_messages_of_delivered_notifications_and_keeps_undelivered_ones(sessions):
    sent = store_event(sessions, "sent", "succeeded", 20)
    pending = store_event(sessions, "pending", "dead", 20)
    with sessions() as session:
        session.execute(update(Notification).where(Notification.event_id == sent).values(status="sent"))
        session.commit()

    purge(sessions, POLICY)

    with sessions() as session:
        messages = dict(session.execute(select(Notification.event_id, Notification.message)).all())
    assert messages[sent] is None
    assert messages[pending] is not None


def test_a_dry_run_counts_what_the_purge_would_do_and_changes_nothing(sessions):
    ids = every_status_and_age(sessions)

    planned = plan(sessions, POLICY)
    untouched = fates(sessions, ids)
    done = purge(sessions, POLICY)

    assert set(untouched.values()) == {"kept"}
    assert planned.as_json() | {"dry_run": False} == done.as_json()


def test_a_run_out_of_time_stops_between_batches_and_the_next_run_carries_on(sessions):
    for n in range(6):
        store_event(sessions, f"old-{n}", "succeeded", 40)

    first = purge(sessions, POLICY, batch_size=2, budget=timedelta(0))
    second = purge(sessions, POLICY, batch_size=2)

    assert not first.complete
    assert first.events_deleted <= 2
    assert first.events_deleted + second.events_deleted == 6
    assert second.complete


def test_two_purges_at_once_delete_each_event_once_and_together_all(sessions):
    for n in range(60):
        store_event(sessions, f"old-{n}", "skipped", 40)
    reports: list[Any] = []

    def run() -> None:
        reports.append(purge(sessions, POLICY, batch_size=5))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.events_deleted for r in reports) == 60
    assert count(sessions, Event) == 0
    assert count(sessions, Attempt) == 0


def test_a_purge_beside_500_events_received_and_processed_loses_none_and_blocks_none_for_a_second(sessions):
    for n in range(100):
        store_event(sessions, f"old-{n}", "succeeded", 40)
    _bulk_old_events(sessions, 5000)
    slowest: list[float] = []
    stop = threading.Event()
    purged: list[Any] = []
    batch_times: list[float] = []
    first_batch_done = threading.Event()

    def batch_done(_n: int) -> None:
        batch_times.append(time.monotonic())
        first_batch_done.set()

    def purge_repeatedly() -> None:
        while not stop.is_set():
            purged.append(purge(sessions, POLICY, batch_size=200, progress=batch_done))
            first_batch_done.set()  # nothing (left) to delete: never keep the ingest waiting

    purger = threading.Thread(target=purge_repeatedly)
    purger.start()
    first_batch_done.wait(timeout=30)  # the ingest starts while the purge is at work, not before it
    new_ids = []
    ingest_started = time.monotonic()
    try:
        for n in range(500):
            started = time.monotonic()
            with sessions() as session:
                event_id, _ = inbox.record_received(
                    session, WixEvent(f"new-{n}", "t", "site", f"n{n}", None, None, {})
                )
                claimed = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))
                assert claimed is not None
                inbox.finish(session, claimed, status=inbox.S.SUCCEEDED, outcome="succeeded")
            slowest.append(time.monotonic() - started)
            new_ids.append(event_id)
        ingest_ended = time.monotonic()
    finally:
        stop.set()
        purger.join()
    batches_during_ingest = [t for t in batch_times if ingest_started < t < ingest_ended]

    with sessions() as session:
        statuses = session.execute(select(Event.status).where(Event.id.in_(new_ids))).scalars().all()
    assert batches_during_ingest  # the purge (26 batches) kept deleting while the events came in
    assert statuses == ["succeeded"] * 500
    assert sum(r.events_deleted for r in purged) == 5100
    assert max(slowest) < 1.0, f"an event waited {max(slowest):.2f} s on the purge"


def _bulk_old_events(sessions: Sessions, n: int) -> None:
    old = utcnow() - timedelta(days=40)
    with sessions() as session:
        session.execute(
            Event.__table__.insert(),
            [
                {
                    "wix_event_id": f"bulk-{i}", "event_type": "t", "source": "wix", "status": "succeeded",
                    "payload": booking_payload(f"bulk-{i}"), "received_at": old, "updated_at": old,
                    "attempt_count": 1, "replay_base": 0,
                }
                for i in range(n)
            ],
        )  # fmt: skip
        session.commit()


def test_a_duplicate_delivery_of_a_redacted_event_still_answers_duplicate(sessions):
    event_id = store_event(sessions, "b-1", "succeeded", 20)
    purge(sessions, POLICY)
    again = WixEvent(
        "w-b-1", "wix.bookings.v2.booking_canceled", "site", "b-1", None, None, booking_payload("b-1")
    )

    with sessions() as session:
        answer = inbox.record_received(session, again)

    assert answer == (event_id, False)


def test_the_ledger_and_the_links_we_paused_outlive_the_events_that_made_them(sessions):
    event_id = store_event(sessions, "b-1", "succeeded", 200)
    Ledger(sessions, event_id=event_id).record("refund:b-1", {"refund_id": "r-1"})
    record_deactivated_link(sessions, "svc-1", instance_id="site", now=utcnow() - timedelta(days=200))

    report = purge(sessions, POLICY)

    assert report.events_deleted == 1
    assert Ledger(sessions).is_done("refund:b-1")
    assert [link.service_id for link in deactivated_links(sessions)] == ["svc-1"]
    assert count(sessions, LedgerEntry) == 1


def test_the_email_keys_of_a_purged_event_are_kept_so_its_emails_never_go_twice(sessions):
    store_event(sessions, "b-1", "succeeded", 40)

    purge(sessions, POLICY)

    with sessions() as session:
        kept = session.execute(select(PurgedNotice.key, PurgedNotice.status)).all()
    assert kept == [("email:b-1:x", "pending")]


def test_older_than_replaces_both_ages_and_may_not_go_under_seven_days():
    settings = load_settings(
        {"WIX_PUBLIC_KEY": "", "WIX_API_KEY": "", "WIX_SITE_ID": ""}, need_public_key=False
    )

    policy = RetentionPolicy.from_settings(settings, older_than=timedelta(days=10))

    assert (policy.finished, policy.dead) == (timedelta(days=10), timedelta(days=10))
    with pytest.raises(RetentionTooShortError, match="--older-than"):
        RetentionPolicy.from_settings(settings, older_than=timedelta(days=6))
