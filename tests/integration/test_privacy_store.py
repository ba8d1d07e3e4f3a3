"""Privacy erasure in the store: the subject's events and undelivered notifications, nothing else."""

from __future__ import annotations

import json

from sqlalchemy import select

from processor.store.models import Event, Notification, PrivacyErasure
from processor.store.privacy import Subject, erase
from tests.support.stored_events import store_event


def _payload(sessions, event_id: int) -> str:
    with sessions() as session:
        row = session.get(Event, event_id)
        assert row is not None
        return json.dumps(row.payload)


def test_erasing_a_booking_redacts_its_events_and_skips_its_unsent_notifications(sessions):
    mine = store_event(sessions, "b-1", "succeeded", 1)
    other = store_event(sessions, "b-2", "succeeded", 1)
    before_other = _payload(sessions, other)

    report = erase(sessions, Subject("booking", "b-1"), requested_by="cli")

    assert (report.events_redacted, report.notifications_cleared) == (1, 1)
    assert "lee@example.com" not in _payload(sessions, mine)
    assert '"b-1"' in _payload(sessions, mine)
    assert _payload(sessions, other) == before_other
    with sessions() as session:
        notices = {n.event_id: n for n in session.execute(select(Notification)).scalars()}
    assert (notices[mine].status, notices[mine].message) == ("skipped", None)
    assert notices[other].status == "pending"
    assert notices[other].message is not None


def test_erasing_an_email_matches_the_whole_address_only(sessions):
    store_event(sessions, "b-1", "succeeded", 1)

    report = erase(sessions, Subject("email", "ee@example.com"), requested_by="cli")

    assert report.events_redacted == 0


def test_an_erasure_is_recorded_with_counts_and_never_the_address(sessions):
    store_event(sessions, "b-1", "succeeded", 1)

    erase(sessions, Subject("email", "lee@example.com"), requested_by="cli")

    with sessions() as session:
        record = session.execute(select(PrivacyErasure)).scalar_one()
    assert record.subject_ref.startswith("sha256:")
    assert "lee" not in record.subject_ref
    assert record.events_redacted == 1
