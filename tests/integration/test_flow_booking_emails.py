"""Booking email flows called directly, on both stores: one invitation per booking, updates per revision."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from processor.devtools.fake_wix import FakeWix
from processor.store.models import Notification

CREATED = "wix.bookings.v2.booking_created"
CONFIRMED = "wix.bookings.v2.booking_confirmed"
RESCHEDULED = "wix.bookings.v2.booking_rescheduled"


@pytest.fixture
def booking(fake_wix: FakeWix) -> dict[str, Any]:
    """A free Meetings booking with its host."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    return fake_wix.add_booking(service["id"])


def _invitations(runner: Any) -> list[Notification]:
    with runner.sessions() as session:
        query = select(Notification).where(Notification.kind == "booking_created")
        return list(session.execute(query).scalars())


def _created_and_confirmed(runner: Any, booking: dict[str, Any]) -> list[tuple[int, Any]]:
    return [
        runner.event(CREATED, entity_id=booking["id"], body={**booking, "revision": "1"}, sequence=1),
        runner.event(
            CONFIRMED, entity_id=booking["id"], body={"booking": {**booking, "revision": "2"}}, sequence=2
        ),
    ]


def test_an_invitation_is_recorded_delivered_and_not_recorded_again_for_the_confirmation(
    flow_runner, booking, smtp_sink
) -> None:
    runner = flow_runner()
    (created_id, created), (confirmed_id, confirmed) = _created_and_confirmed(runner, booking)

    first = runner.call(created_id, created)
    second = runner.call(confirmed_id, confirmed)
    runner.deliver(created_id, confirmed_id)

    assert first.detail == "invitation recorded for delivery"
    assert second.reason == f"invitation already recorded (event {created_id})"
    (message,) = smtp_sink.wait_for(1)
    assert message["Subject"].startswith("New booking: Intro call with Lee")
    assert [(n.key, n.status) for n in _invitations(runner)] == [
        (f"email:{booking['id']}:invitation", "sent")
    ]


def test_created_and_confirmed_processed_at_once_send_one_invitation(
    flow_runner, fake_wix: FakeWix, smtp_sink
) -> None:
    runner = flow_runner()
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    bookings = [fake_wix.add_booking(service["id"]) for _ in range(4)]
    pairs = [_created_and_confirmed(runner, b) for b in bookings]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(events: list[tuple[int, Any]]) -> None:
        for event_id, event in events:
            try:
                start.wait(timeout=10)
                runner.call(event_id, event)
            except BaseException as exc:
                errors.append(exc)

    threads = [
        threading.Thread(target=run, args=([pair[0] for pair in pairs],)),
        threading.Thread(target=run, args=([pair[1] for pair in pairs],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    runner.deliver()

    smtp_sink.wait_for(4)

    assert errors == []
    assert len(smtp_sink.messages) == 4
    assert sorted(n.booking_id for n in _invitations(runner)) == sorted(b["id"] for b in bookings)


def test_a_reschedule_is_one_update_per_revision(flow_runner, booking, smtp_sink) -> None:
    runner = flow_runner()
    moved = {
        **booking,
        "revision": "3",
        "startDate": "2030-01-07T10:00:00.000Z",
        "endDate": "2030-01-07T10:30:00.000Z",
    }
    body = {
        "booking": moved,
        "previousStartDate": booking["startDate"],
        "previousEndDate": booking["endDate"],
    }
    first_id, first = runner.event(RESCHEDULED, entity_id=booking["id"], body=body, sequence=3)
    again_id, again = runner.event(RESCHEDULED, entity_id=booking["id"], body=body, sequence=3)

    recorded = runner.call(first_id, first)
    repeated = runner.call(again_id, again)
    runner.deliver(first_id, again_id)

    assert recorded.detail == "update recorded for delivery"
    assert repeated.reason == f"update already recorded (event {first_id})"
    (message,) = smtp_sink.wait_for(1)
    assert message["Subject"].startswith("Booking moved: Intro call")
    (ics,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert "SEQUENCE:3" in ics.get_content()


def test_with_email_off_the_invitation_is_recorded_as_skipped_and_nothing_is_kept(
    flow_runner, booking, smtp_sink
) -> None:
    runner = flow_runner(SMTP_URL="")
    (created_id, created), _ = _created_and_confirmed(runner, booking)

    outcome = runner.call(created_id, created)
    delivered = runner.deliver(created_id)

    assert outcome.detail == "invitation not sent: email off or no recipient"
    assert delivered == {}
    (invitation,) = _invitations(runner)
    assert (invitation.status, invitation.last_error, invitation.message) == (
        "skipped",
        "email off (SMTP_URL unset)",
        None,
    )
    assert smtp_sink.messages == []
