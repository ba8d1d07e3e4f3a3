"""The notification outbox on both stores: recorded once by key, claimed by one run, leased apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from processor.store import inbox, notifications
from processor.store.db import Sessions, make_engine, make_sessions, utcnow
from processor.store.models import Event, Notification
from processor.store.notifications import NewNotification
from processor.wix_event import WixEvent
from tests.support.concurrency import at_once

LEASE = timedelta(minutes=10)


@pytest.fixture
def sessions(flow_store_url: str) -> Iterator[Sessions]:
    """A migrated store, SQLite and PostgreSQL."""
    engine = make_engine(flow_store_url)
    yield make_sessions(engine)
    engine.dispose()


@pytest.fixture
def event_id(sessions: Sessions) -> int:
    event = WixEvent("evt-1", "test.succeeds", "site", "b-1", None, None, {"data": {}})
    with sessions() as session:
        return inbox.record_received(session, event)[0]


def _email(key: str = "email:b-1:invitation") -> NewNotification:
    message = {"to": "dana@example.com", "subject": "New booking", "text": "t", "html": "h"}
    return NewNotification(key, "email", "booking_created", "host", message, booking_id="b-1")


def _row(sessions: Sessions, notification_id: int) -> Notification:
    with sessions() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row


def test_a_key_recorded_by_several_workers_at_once_is_one_notification(sessions, event_id) -> None:
    results = at_once(6, lambda: notifications.record(sessions, event_id, _email(), now=utcnow()))

    assert sorted(r.outcome for r in results) == ["exists"] * 5 + ["recorded"]
    assert len({r.id for r in results}) == 1
    with sessions() as session:
        assert session.execute(select(Notification.key)).scalars().all() == ["email:b-1:invitation"]


def test_emails_recorded_together_are_one_each_in_the_order_given_beside_what_was_there(
    sessions, event_id
) -> None:
    there = notifications.record(sessions, event_id, _email("email:b-1:b"), now=utcnow())
    news = [_email("email:b-1:c"), _email("email:b-1:b"), _email("email:b-1:a")]

    recorded = notifications.record_emails(sessions, event_id, news, now=utcnow())
    again = notifications.record_emails(sessions, event_id, news, now=utcnow())

    assert [r.outcome for r in recorded] == ["recorded", "exists", "recorded"]
    assert recorded[1].id == there.id
    assert [r.outcome for r in again] == ["exists"] * 3
    assert [r.id for r in again] == [r.id for r in recorded]
    assert _row(sessions, recorded[0].id).key == "email:b-1:c"
    assert _row(sessions, recorded[2].id).message == news[2].message


def test_batches_sharing_keys_recorded_at_once_in_opposite_orders_record_each_once(
    sessions, event_id
) -> None:
    keys = [f"email:b-1:{n}" for n in range(3)]
    forward = [_email(key) for key in keys]
    orders = iter([forward, forward[::-1]] * 3)
    results = at_once(6, lambda: notifications.record_emails(sessions, event_id, next(orders), now=utcnow()))

    assert len(results) == 6
    by_key: dict[int, set[str]] = {}
    for batch in results:
        for result in batch:
            by_key.setdefault(result.id, set()).add(result.outcome)
    assert len(by_key) == 3
    with sessions() as session:
        assert sorted(session.execute(select(Notification.key)).scalars()) == keys


def test_record_emails_takes_emails_only_each_key_once(sessions, event_id) -> None:
    alert = NewNotification("ops:x:1", "ops", "refund.failed", "ops", {"text": "t"})

    with pytest.raises(ValueError, match="emails only"):
        notifications.record_emails(sessions, event_id, [_email(), alert], now=utcnow())
    with pytest.raises(ValueError, match="each key once"):
        notifications.record_emails(sessions, event_id, [_email(), _email()], now=utcnow())
    assert notifications.record_emails(sessions, event_id, [], now=utcnow()) == []


def test_one_run_claims_a_notification_and_sending_drops_its_message(sessions, event_id) -> None:
    recorded = notifications.record(sessions, event_id, _email(), now=utcnow())

    claims = at_once(4, lambda: notifications.claim(sessions, recorded.id, now=utcnow()))
    (claimed,) = [c for c in claims if c is not None]
    marked = notifications.mark_sent(sessions, claimed, now=utcnow())

    assert claimed.attempts == 1
    assert claimed.message is not None
    assert claimed.message["to"] == "dana@example.com"
    assert marked is True
    row = _row(sessions, recorded.id)
    assert (row.status, row.message, row.attempts, row.booking_id) == ("sent", None, 1, "b-1")
    assert row.sent_at is not None
    assert notifications.claim(sessions, recorded.id, now=utcnow()) is None


def test_runs_claiming_a_batch_at_once_share_it_out_and_unclaimed_ones_are_due_again(
    sessions, event_id
) -> None:
    ids = [
        notifications.record(sessions, event_id, _email(f"email:b-1:{n}"), now=utcnow()).id for n in range(3)
    ]
    notifications.mark_sent(sessions, notifications.claim(sessions, ids[1], now=utcnow()), now=utcnow())

    batches = at_once(4, lambda: notifications.claim_many(sessions, list(reversed(ids)), now=utcnow()))
    (batch,) = [b for b in batches if b]
    later = utcnow() + timedelta(minutes=1)
    notifications.unclaim(sessions, batch[1:], due_at=later, now=utcnow())

    assert [c.id for c in batch] == [ids[2], ids[0]]  # in the order asked; the sent one is not claimed
    assert [c.attempts for c in batch] == [1, 1]
    assert _row(sessions, ids[2]).status == "sending"
    row = _row(sessions, ids[0])
    assert (row.status, row.attempts, row.claimed_at) == ("pending", 0, None)  # as if never claimed
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= later - timedelta(seconds=1)


def test_two_sweeps_lease_disjoint_sets_and_a_leased_one_is_not_leased_again(sessions, event_id) -> None:
    ids = [
        notifications.record(sessions, event_id, _email(f"email:b-1:k{n}"), now=utcnow()).id
        for n in range(20)
    ]
    now = utcnow()

    leases = at_once(2, lambda: notifications.lease_due(sessions, now=now, lease=LEASE, stale_after=LEASE))
    again = notifications.lease_due(sessions, now=now, lease=LEASE, stale_after=LEASE)

    assert sorted(leases[0] + leases[1]) == sorted(ids)
    assert set(leases[0]).isdisjoint(leases[1])
    assert again == []


def test_a_retry_waits_for_its_time_and_a_dead_runs_claim_is_taken_back(sessions, event_id) -> None:
    retry = notifications.record(sessions, event_id, _email("email:b-1:retry"), now=utcnow())
    lost = notifications.record(sessions, event_id, _email("email:b-1:lost"), now=utcnow())
    started = utcnow()
    claimed = notifications.claim(sessions, retry.id, now=started)
    assert claimed is not None
    notifications.mark_retry(
        sessions, claimed, error="450", next_attempt_at=started + timedelta(minutes=5), now=started
    )
    assert notifications.claim(sessions, lost.id, now=started) is not None  # its worker dies here

    soon = notifications.lease_due(
        sessions, now=started + timedelta(minutes=1), lease=LEASE, stale_after=LEASE
    )
    later = notifications.lease_due(
        sessions, now=started + timedelta(minutes=11), lease=LEASE, stale_after=LEASE
    )

    assert soon == []
    assert later == sorted([retry.id, lost.id])
    assert _row(sessions, lost.id).status == "pending"
    assert _row(sessions, retry.id).last_error == "450"


def test_only_a_failed_notification_is_re_armed_with_a_fresh_budget(sessions, event_id) -> None:
    recorded = notifications.record(sessions, event_id, _email(), now=utcnow())
    claimed = notifications.claim(sessions, recorded.id, now=utcnow())
    assert claimed is not None
    notifications.mark_failed(sessions, claimed, error="sender refused (554)", now=utcnow())

    again = notifications.record(sessions, event_id, _email(), now=utcnow())
    rearmed_twice = notifications.rearm(sessions, recorded.id, now=utcnow())

    assert (again.id, again.outcome, again.status) == (recorded.id, "rearmed", "pending")
    assert rearmed_twice is False
    row = _row(sessions, recorded.id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "sender refused (554)")


def test_a_skipped_notification_keeps_no_message(sessions, event_id) -> None:
    new = NewNotification(
        "email:b-1:x", "email", "booking_created", "host", {"to": "a@b"}, "b-1", "email off"
    )

    recorded = notifications.record(sessions, event_id, new, now=utcnow())

    row = _row(sessions, recorded.id)
    assert (row.status, row.message, row.last_error) == ("skipped", None, "email off")
    assert notifications.lease_due(sessions, now=utcnow(), lease=LEASE, stale_after=LEASE) == []


def test_an_events_notifications_go_with_it(sessions, event_id) -> None:
    notifications.record(sessions, event_id, _email(), now=utcnow())

    with sessions() as session, session.begin():
        session.execute(delete(Event).where(Event.id == event_id))

    with sessions() as session:
        assert session.execute(select(Notification)).scalars().all() == []
