"""The inbox on both stores: one claim wins, two sweeps split the work, the ledger runs an effect once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from processor.store import inbox
from processor.store.db import utcnow
from processor.store.ledger import Ledger, LedgerBusyError
from processor.store.models import Event, EventStatus
from processor.wix_event import WixEvent


def _event(n: int) -> WixEvent:
    return WixEvent(
        wix_event_id=f"evt-{n}",
        event_type="test.succeeds",
        instance_id="site",
        entity_id=f"e{n}",
        entity_sequence=None,
        event_time=None,
        payload={"data": {}},
    )


def _run_at_once(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def go() -> None:
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=go) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_several_workers_claiming_one_event_exactly_one_wins(sessions):
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))

    def claim():
        with sessions() as session:
            return inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))

    claims = _run_at_once(6, claim)

    assert len([c for c in claims if c is not None]) == 1


def test_two_sweeps_at_once_requeue_each_due_event_once(sessions):
    with sessions() as session:
        ids = [inbox.record_received(session, _event(n))[0] for n in range(20)]
    later = utcnow() + timedelta(minutes=5)

    def sweep():
        with sessions() as session:
            return inbox.requeue_due(
                session, stuck_after=timedelta(minutes=1), received_grace=timedelta(seconds=30), now=later
            )

    first, second = _run_at_once(2, sweep)

    assert sorted(first + second) == ids
    assert not set(first) & set(second)


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_sweep_skips_an_event_another_transaction_holds_instead_of_waiting_for_it(sessions):
    """A worker's claim or another sweep holding a row must not hold the whole sweep up.

    Found by the fault soak (bench/soak): under a backlog, each sweep updated its due events one
    statement at a time in one transaction, the next sweeps (two beats, every few seconds) queued
    behind its row locks, and the workers' slots filled with sweeps waiting for each other.
    """
    with sessions() as session:
        ids = [inbox.record_received(session, _event(n))[0] for n in range(3)]
    later = utcnow() + timedelta(minutes=5)

    with sessions() as holder:
        holder.execute(update(Event).where(Event.id == ids[0]).values(updated_at=Event.updated_at))
        with sessions() as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))  # on today's main: raises here
            won = inbox.requeue_due(
                session, stuck_after=timedelta(minutes=1), received_grace=timedelta(seconds=30), now=later
            )
        holder.rollback()

    assert won == ids[1:]
    with sessions() as session:
        assert (
            inbox.requeue_due(
                session, stuck_after=timedelta(minutes=10), received_grace=timedelta(seconds=30), now=later
            )
            == ids[:1]
        )


def test_a_failed_event_is_due_only_at_its_next_attempt_time(sessions):
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))
        claimed = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))
        retry_at = utcnow() + timedelta(minutes=2)
        inbox.finish(
            session,
            claimed,
            status=EventStatus.FAILED,
            outcome="failed",
            reason="x",
            next_attempt_at=retry_at,
        )

        early = inbox.requeue_due(session, stuck_after=timedelta(hours=1), received_grace=timedelta(hours=1))
        due = inbox.requeue_due(
            session,
            stuck_after=timedelta(hours=1),
            received_grace=timedelta(hours=1),
            now=retry_at + timedelta(seconds=1),
        )

    assert early == []
    assert due == [event_id]


def test_the_ledger_lets_one_caller_do_the_effect(sessions):
    ledger = Ledger(sessions)
    effects: list[str] = []

    with ledger.once("refund:b1") as first_time:
        if first_time:
            effects.append("refund")
    with ledger.once("refund:b1") as first_time:
        if first_time:
            effects.append("refund")

    assert effects == ["refund"]


def test_a_failed_effect_releases_its_key(sessions):
    ledger = Ledger(sessions)

    def send_failing_email() -> None:
        with ledger.once("email:b1:created:1") as first_time:
            assert first_time
            raise RuntimeError("SMTP down")

    with pytest.raises(RuntimeError):
        send_failing_email()

    with ledger.once("email:b1:created:1") as first_time:
        assert first_time


def test_a_key_in_flight_is_busy_for_others_until_its_lease_runs_out(sessions):
    holder = Ledger(sessions, lease=timedelta(minutes=10))
    impatient = Ledger(sessions, lease=timedelta(minutes=10))
    takeover = Ledger(sessions, lease=timedelta(seconds=0))

    with holder.once("link:s1:deactivate:9") as first_time:
        assert first_time
        with pytest.raises(LedgerBusyError), impatient.once("link:s1:deactivate:9"):
            pass
        with takeover.once("link:s1:deactivate:9") as taken_over:
            assert taken_over  # the holder looks dead to a zero lease


def test_recording_a_free_key_marks_it_done_with_its_result(sessions):
    ledger = Ledger(sessions)

    first = ledger.record("refund-intent:b1", {"order_id": "o1"})
    again = ledger.record("refund-intent:b1", {"order_id": "o2"})

    assert (first, again) == (True, False)
    assert ledger.entry("refund-intent:b1") == ("done", {"order_id": "o1"})
    assert ledger.is_done("refund-intent:b1")


def test_recording_a_key_another_worker_holds_is_busy(sessions):
    holder, other = Ledger(sessions), Ledger(sessions)

    with holder.once("refund:b2") as first_time:
        assert first_time
        with pytest.raises(LedgerBusyError):
            other.record("refund:b2", {"order_id": "o1"})

    assert holder.entry("refund:b2") == ("done", None)
