"""The inbox on both stores: one claim wins, two sweeps split the work, the ledger runs an effect once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text, update

from processor.store import inbox, requeue
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
            return requeue.requeue_due(
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
            won = requeue.requeue_due(
                session, stuck_after=timedelta(minutes=1), received_grace=timedelta(seconds=30), now=later
            )
        holder.rollback()

    assert won == ids[1:]
    with sessions() as session:
        assert (
            requeue.requeue_due(
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

        early = requeue.requeue_due(
            session, stuck_after=timedelta(hours=1), received_grace=timedelta(hours=1)
        )
        due = requeue.requeue_due(
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


def test_a_result_set_inside_the_block_is_kept_with_the_key_done(sessions):
    ledger = Ledger(sessions)

    with ledger.once("refund:b2") as first_time:
        assert first_time
        ledger.set_result("refund:b2", {"refund_id": "r-1"})
        assert ledger.entry("refund:b2") == ("pending", None)  # written with the completion
    ledger.set_result("refund:b3", {"refund_id": "r-2"})  # a key nobody holds: nothing to update

    assert ledger.entry("refund:b2") == ("done", {"refund_id": "r-1"})
    assert ledger.entry("refund:b3") is None
    assert ledger.record("refund:b2", {"refund_id": "r-9"}) is False
    assert ledger.entry("refund:b2") == ("done", {"refund_id": "r-1"})


def test_a_failed_effect_releases_its_key_and_its_result(sessions):
    ledger = Ledger(sessions)

    def refund_failing_after_its_result() -> None:
        with ledger.once("refund:b4"):
            ledger.set_result("refund:b4", {"refund_id": "r-3"})
            raise RuntimeError("Wix down")

    with pytest.raises(RuntimeError):
        refund_failing_after_its_result()

    assert ledger.entry("refund:b4") is None
    with ledger.once("refund:b4") as first_time:
        assert first_time
    assert ledger.entry("refund:b4") == ("done", None)


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


def _lose_the_worker(sessions, event_id, at, *, stuck_after, max_attempts):
    """A worker claims the event at `at` and dies (OOM, segfault, the hard time limit): no finish."""
    with sessions() as session:
        return inbox.claim(session, event_id, stuck_after=stuck_after, max_attempts=max_attempts, now=at)


def test_an_event_whose_every_attempt_loses_its_worker_is_dead_once_its_attempts_are_used(sessions):
    stuck_after = timedelta(seconds=5)
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))
    start = utcnow()
    lost = [
        _lose_the_worker(
            sessions, event_id, start + n * timedelta(seconds=6), stuck_after=stuck_after, max_attempts=3
        )
        for n in range(3)
    ]
    assert [c.attempt_number for c in lost if c is not None] == [1, 2, 3]

    with sessions() as session:
        claimed = inbox.claim_many(
            session, [event_id], stuck_after=stuck_after, max_attempts=3, now=start + timedelta(seconds=18)
        )
    assert claimed.claims == []
    assert [(g.event_id, g.attempts) for g in claimed.gave_up] == [(event_id, 3)]
    with sessions() as session:
        event = session.get(Event, event_id)
        assert (event.status, event.status_reason) == ("dead", "worker lost on every attempt")
        assert event.attempt_count == 3
        assert [(a.number, a.outcome) for a in event.attempts] == [(n, "abandoned") for n in (1, 2, 3)]
        assert all(a.finished_at is not None for a in event.attempts)

    with sessions() as session:  # dead is final: a later sweep or message takes nothing
        assert (
            inbox.claim(
                session, event_id, stuck_after=stuck_after, max_attempts=3, now=start + timedelta(hours=1)
            )
            is None
        )


def test_a_replayed_event_that_lost_its_workers_gets_a_fresh_budget(sessions):
    stuck_after = timedelta(seconds=5)
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))
    start = utcnow()
    for n in range(3):  # two lost attempts, then the claim that gives up
        _lose_the_worker(
            sessions, event_id, start + n * timedelta(seconds=6), stuck_after=stuck_after, max_attempts=2
        )
    with sessions() as session:
        assert requeue.mark_for_replay(session, [event_id]) == [event_id]

    again = _lose_the_worker(sessions, event_id, utcnow(), stuck_after=stuck_after, max_attempts=2)

    assert again is not None
    assert (again.attempt_number, again.failures_so_far) == (3, 0)


def test_a_batch_claim_takes_only_the_claimable_events_and_reads_each_back_whole(sessions):
    with sessions() as session:
        ids = [inbox.record_received(session, _event(n))[0] for n in range(4)]
        first = inbox.claim(session, ids[0], stuck_after=timedelta(minutes=10))
        inbox.finish(session, first, status=EventStatus.SUCCEEDED, outcome="succeeded")

    with sessions() as session:
        claimed = inbox.claim_many(session, [*ids, 10_000], stuck_after=timedelta(minutes=10), worker="w1")

    assert [c.event_id for c in claimed.claims] == ids[1:]
    assert [c.event.wix_event_id for c in claimed.claims] == ["evt-1", "evt-2", "evt-3"]
    assert all(c.attempt_number == 1 and c.failures_so_far == 0 for c in claimed.claims)
    with sessions() as session:
        done = inbox.finish_many(
            session,
            [inbox.Finished(c, EventStatus.IGNORED, "ignored", "no flow") for c in claimed.claims],
        )
        assert done == set(ids[1:])
        rows = [session.get(Event, i) for i in ids[1:]]
        assert {(r.status, r.status_reason) for r in rows} == {("ignored", "no flow")}
        assert {(a.number, a.outcome, a.worker) for r in rows for a in r.attempts} == {(1, "ignored", "w1")}


def test_two_workers_claiming_overlapping_batches_each_get_a_disjoint_part(sessions):
    with sessions() as session:
        ids = [inbox.record_received(session, _event(n))[0] for n in range(40)]

    def claim(offset: int):
        def go():
            with sessions() as session:
                batch = ids[offset:] + ids[:offset]
                return inbox.claim_many(session, batch, stuck_after=timedelta(minutes=10)).claims

        return go

    first, second = _run_at_once(2, claim(0)), _run_at_once(2, claim(20))
    won = [c.event_id for claims in first + second for c in claims]

    assert sorted(won) == ids


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


def test_a_claim_in_a_session_holding_a_transaction_sees_what_that_transaction_changed(sessions):
    """On PostgreSQL a claim from a session with nothing of its own goes on the driver by itself
    (processor/store/driver.py); one inside the session's own transaction stays in it, or it would
    miss (and wait on) the rows that transaction changed."""
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))
    with sessions() as session:
        session.execute(update(Event).where(Event.id == event_id).values(status=EventStatus.SUCCEEDED.value))
        claimed = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))

    assert claimed is None
    with sessions() as session:
        assert session.get(Event, event_id).status == EventStatus.SUCCEEDED.value


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_on_postgresql_a_claim_and_a_finish_are_one_statement_each_with_no_transaction(sessions):
    with sessions() as session:
        event_id, _ = inbox.record_received(session, _event(1))
    engine = sessions.kw["bind"]
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2].split()[0]))
    event.listen(engine, "begin", lambda conn: sent.append("BEGIN"))

    with sessions() as session:
        claimed = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10))
    with sessions() as session:
        finished = inbox.finish(session, claimed, status=EventStatus.SUCCEEDED, outcome="succeeded")

    assert finished
    assert sent == ["WITH", "WITH"]
    with sessions() as session:
        row = session.get(Event, event_id)
        assert (row.status, [a.outcome for a in row.attempts]) == ("succeeded", ["succeeded"])
