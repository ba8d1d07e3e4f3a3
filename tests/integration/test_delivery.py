"""Delivery of recorded notifications: its own retries and budget, one alert when it gives up."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from processor.devtools.fake_wix import FakeWix
from processor.store import notifications
from processor.store.models import Notification
from tests.fixtures.servers import free_port
from workers import delivery
from workers.courier import Courier

CREATED = "wix.bookings.v2.booking_created"


@pytest.fixture
def invitation(fake_wix: FakeWix) -> dict[str, Any]:
    """A free Meetings booking whose invitation goes to dana@example.com."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    return fake_wix.add_booking(service["id"])


def _record_invitation(runner: Any, booking: dict[str, Any]) -> int:
    event_id, event = runner.event(CREATED, entity_id=booking["id"], body=booking, sequence=1)
    runner.call(event_id, event)
    return event_id


def _rows(runner: Any) -> list[Notification]:
    with runner.sessions() as session:
        return list(session.execute(select(Notification).order_by(Notification.id)).scalars())


def _later(runner: Any, minutes: float) -> None:
    now = runner.deps.clock()
    runner.deps.clock = lambda: now + timedelta(minutes=minutes)


def notifications_due(runner: Any) -> list[int]:
    lease = timedelta(minutes=10)
    return notifications.lease_due(
        runner.deps.sessions, now=runner.deps.clock(), lease=lease, stale_after=lease
    )


def test_the_attempt_that_records_an_email_sends_it_itself_once_its_outcome_is_written(
    flow_runner, invitation, smtp_sink
) -> None:
    runner = flow_runner()
    event_id, _ = runner.event(CREATED, entity_id=invitation["id"], body=invitation, sequence=1)

    outcome = runner.process(event_id)  # no broker: no deliver_notifications message could carry it

    assert outcome == "succeeded"
    assert len(smtp_sink.wait_for(1)) == 1
    assert [(n.kind, n.status, n.attempts) for n in _rows(runner)] == [("booking_created", "sent", 1)]
    assert runner.shown(event_id)["status"] == "succeeded"
    assert runner.deliver(event_id) == {}  # nothing left for a delivery task


def test_in_the_worker_the_attempt_hands_its_emails_to_the_courier_and_they_go_once(
    flow_runner, invitation, smtp_sink
) -> None:
    runner = flow_runner()
    delivered_on: list[str] = []

    def deliver(ids: list[int]) -> None:
        delivered_on.append(threading.current_thread().name)
        delivery.deliver(runner.deps, ids)

    runner.deps.courier = Courier(deliver)
    event_id, _ = runner.event(CREATED, entity_id=invitation["id"], body=invitation, sequence=1)

    outcome = runner.process(event_id)
    sent = smtp_sink.wait_for(1)
    runner.deps.courier.stop()

    assert outcome == "succeeded"
    assert len(sent) == 1
    assert delivered_on == ["courier-0"]
    assert [(n.kind, n.status, n.attempts) for n in _rows(runner)] == [("booking_created", "sent", 1)]
    assert notifications_due(runner) == []  # nothing left for the sweep


def test_a_refusal_on_the_attempts_own_try_leaves_the_event_done_and_the_email_due_for_the_sweep(
    flow_runner, invitation, smtp_sink
) -> None:
    runner = flow_runner()
    event_id, _ = runner.event(CREATED, entity_id=invitation["id"], body=invitation, sequence=1)
    smtp_sink.refuse("dana@example.com", "450 4.2.1 try later")

    outcome = runner.process(event_id)
    smtp_sink.clear()
    _later(runner, 1)
    retry = delivery.deliver(runner.deps, notifications_due(runner))

    assert outcome == "succeeded"
    assert runner.shown(event_id)["status"] == "succeeded"
    assert retry == {"sent": 1}
    assert len(smtp_sink.wait_for(1)) == 1
    assert [(n.status, n.attempts) for n in _rows(runner)] == [("sent", 2)]


def test_a_temporary_refusal_is_retried_when_due_and_then_sent_once(
    flow_runner, invitation, smtp_sink
) -> None:
    runner = flow_runner()
    event_id = _record_invitation(runner, invitation)
    smtp_sink.refuse("dana@example.com", "450 4.2.1 try later")

    first = runner.deliver(event_id)
    (pending,) = _rows(runner)
    not_yet = delivery.requeue_due(runner.deps, celery=None)  # type: ignore[arg-type]
    smtp_sink.clear()
    _later(runner, 1)
    due = notifications_due(runner)
    second = delivery.deliver(runner.deps, due)

    assert first == {"retry": 1}
    assert (pending.status, pending.attempts, pending.last_error) == (
        "pending",
        1,
        "recipient refused (450, temporary)",
    )
    assert pending.next_attempt_at is not None
    assert not_yet == []
    assert second == {"sent": 1}
    assert len(smtp_sink.wait_for(1)) == 1
    assert [(n.status, n.attempts) for n in _rows(runner)] == [("sent", 2)]


def test_after_its_last_attempt_a_notification_fails_and_ops_hears_once(
    flow_runner, invitation, smtp_sink, ops_hook
) -> None:
    runner = flow_runner(NOTIFY_MAX_ATTEMPTS="2")
    event_id = _record_invitation(runner, invitation)
    smtp_sink.refuse("dana@example.com", "421 4.3.0 down for maintenance")

    runner.deliver(event_id)
    _later(runner, 5)
    last = delivery.deliver(runner.deps, notifications_due(runner))
    _later(runner, 60)
    after = delivery.deliver(runner.deps, notifications_due(runner))

    assert last == {"failed": 1, "sent": 1}  # the invitation, then its alert
    assert after == {}
    invitation_row, alert = _rows(runner)
    assert (invitation_row.status, invitation_row.attempts) == ("failed", 2)
    assert invitation_row.message is not None  # kept for a replay
    assert (alert.channel, alert.kind, alert.status) == ("ops", "notification.failed", "sent")
    (post,) = ops_hook.wait_for(1)
    assert post["text"].startswith(
        f"[notification.failed] Notification {invitation_row.id} (booking_created to the host)"
    )
    assert "dana" not in str(post)


def test_a_refused_message_fails_at_once(flow_runner, invitation, smtp_sink, ops_hook) -> None:
    runner = flow_runner()
    event_id = _record_invitation(runner, invitation)
    smtp_sink.refuse("dana@example.com", "550 5.1.1 no such mailbox")

    outcome = runner.deliver(event_id)

    assert outcome == {"failed": 1, "sent": 1}
    assert [(n.kind, n.status, n.attempts, n.last_error) for n in _rows(runner)] == [
        ("booking_created", "failed", 1, "recipient refused (550)"),
        ("notification.failed", "sent", 1, None),
    ]


def test_an_alert_that_fails_is_retried_and_then_only_logged(
    flow_runner, invitation, smtp_sink, ops_hook
) -> None:
    runner = flow_runner(NOTIFY_MAX_ATTEMPTS="1")
    event_id = _record_invitation(runner, invitation)
    smtp_sink.refuse("dana@example.com", "550 5.1.1 no such mailbox")
    ops_hook.status = 500

    outcome = runner.deliver(event_id)

    assert outcome == {"failed": 2}
    assert [(n.kind, n.status, n.last_error) for n in _rows(runner)] == [
        ("booking_created", "failed", "recipient refused (550)"),
        ("notification.failed", "failed", "ops webhook answered 500"),
    ]


def test_a_claim_of_a_dead_worker_is_taken_back_by_the_sweep_and_sent_once(
    flow_runner, invitation, smtp_sink
) -> None:
    runner = flow_runner(STUCK_AFTER_SECONDS="60", TASK_TIME_LIMIT_SECONDS="50")
    _record_invitation(runner, invitation)
    (row,) = _rows(runner)
    assert notifications.claim(runner.sessions, row.id, now=runner.deps.clock()) is not None  # then it dies

    _later(runner, 0.5)
    too_soon = notifications_due(runner)
    _later(runner, 2)
    taken_back = notifications.lease_due(
        runner.sessions,
        now=runner.deps.clock(),
        lease=timedelta(seconds=60),
        stale_after=timedelta(seconds=60),
    )
    sent = delivery.deliver(runner.deps, taken_back)

    assert too_soon == []
    assert taken_back == [row.id]
    assert sent == {"sent": 1}
    assert len(smtp_sink.wait_for(1)) == 1


def test_an_unreachable_smtp_server_costs_one_attempt_per_batch_not_one_timeout_per_email(
    flow_runner, fake_wix: FakeWix
) -> None:
    runner = flow_runner(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    events = [_record_invitation(runner, fake_wix.add_booking(service["id"])) for _ in range(3)]

    outcome = runner.deliver(*events)

    assert outcome == {"retry": 1, "deferred": 2}
    rows = _rows(runner)
    assert [(n.status, n.attempts) for n in rows] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert all(n.next_attempt_at is not None and n.next_attempt_at > runner.deps.clock() for n in rows)
