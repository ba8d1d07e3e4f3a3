"""/metrics' event counts stay exact as events change status, without a GROUP BY over every event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update

from processor.store import event_queries, inbox, requeue
from processor.store.models import Event, EventStatus
from processor.wix_event import WixEvent

S = EventStatus


def _event(n: int, event_type: str = "test.succeeds") -> WixEvent:
    return WixEvent(
        wix_event_id=f"count-{n}",
        event_type=event_type,
        instance_id="site",
        entity_id=f"e{n}",
        entity_sequence=None,
        event_time=None,
        payload={"data": {}},
    )


def _truth(session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Event.event_type, Event.status, func.count()).group_by(Event.event_type, Event.status)
    ).all()
    return {(event_type, status): count for event_type, status, count in rows}


def _finish(session, event_id: int, status: EventStatus) -> None:
    claim = inbox.claim(session, event_id, stuck_after=timedelta(minutes=10), max_attempts=8)
    assert claim is not None
    inbox.finish(session, claim, status=status, outcome=status.value)


def test_the_counts_follow_every_status_change_on_both_stores(sessions):
    with sessions() as session:
        ids = [inbox.record_received(session, _event(n, f"type.{n % 2}"))[0] for n in range(8)]
        inbox.mark_queued(session, ids[:6])
        _finish(session, ids[0], S.SUCCEEDED)
        _finish(session, ids[1], S.SUCCEEDED)
        _finish(session, ids[2], S.DEAD)
        _finish(session, ids[3], S.SKIPPED)
        claimed = inbox.claim_many(session, ids[4:6], stuck_after=timedelta(minutes=10), max_attempts=8)
        inbox.finish_many(session, [inbox.Finished(c, S.IGNORED, "ignored") for c in claimed.claims])
        assert event_queries.count_by_type_and_status(session) == _truth(session)

        requeue.mark_for_replay(session, [ids[0], ids[2]], force=True)  # succeeded and dead → queued
        assert event_queries.count_by_type_and_status(session) == _truth(session)
        _finish(session, ids[0], S.SKIPPED)
        session.execute(delete(Event).where(Event.id.in_([ids[1], ids[4]])))  # retention deletes
        now = datetime(2026, 12, 1, tzinfo=UTC)
        session.execute(  # a row written as finished directly (an import, a test)
            insert(Event).values(
                wix_event_id="imported", event_type="type.0", source="wix", status="succeeded",
                payload={}, received_at=now, updated_at=now, attempt_count=1, replay_base=0,
            )
        )  # fmt: skip
        session.commit()

        assert event_queries.count_by_type_and_status(session) == _truth(session)
        assert _truth(session)[("type.0", "succeeded")] == 1


def test_the_flows_per_entity_questions_are_answered_from_an_index(sessions):
    with sessions() as session:
        for n in range(200):
            inbox.record_received(session, _event(n))
        session.execute(update(Event).values(status="succeeded"))  # as most events are, in time
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE events"))
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask for the plan
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for query in (
            "SELECT max(entity_sequence) FROM events WHERE entity_id = 'e7'"
            " AND event_type IN ('test.succeeds', 'b') AND status IN ('succeeded', 'skipped')",
            "SELECT id FROM events WHERE entity_id = 'e7' AND event_type = 'test.succeeds'"
            " AND status = 'succeeded'",
            "SELECT id FROM events WHERE entity_id = 'e7' ORDER BY id DESC LIMIT 50",
        ):
            plan = " ".join(str(row[-1]) for row in session.execute(text(explain + query)))
            assert "ix_events_entity_type_status" in plan, plan
