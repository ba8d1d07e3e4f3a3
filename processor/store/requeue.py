"""Back to `queued`: the sweep's due retries and stuck events, and ops' replays.

The inbox (inbox.py) moves one event forward under a claim; these move many events back, each in one
statement, and never hold a row another transaction has.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from processor.store.db import utcnow
from processor.store.models import Event, EventStatus

S = EventStatus
REPLAYABLE = (S.FAILED, S.DEAD, S.IGNORED, S.SKIPPED, S.RECEIVED)


def requeue_due(
    session: Session,
    *,
    stuck_after: timedelta,
    received_grace: timedelta,
    now: datetime | None = None,
    limit: int = 500,
) -> list[int]:
    """Move due retries and stuck events to `queued` in one statement; return the ids it moved.

    Two sweeps at once each win a disjoint set: an event changes status only once. On PostgreSQL
    the candidates are locked with SKIP LOCKED, so a row another transaction holds (a worker's
    claim, another sweep) is left to the next sweep instead of making this one wait: a sweep
    that waited held every row it had moved so far, and under a backlog the next sweeps and the
    workers' claims queued behind it (found by the fault soak, bench/soak).
    """
    now = now or utcnow()
    due = or_(
        and_(Event.status == S.FAILED.value, Event.next_attempt_at <= now),
        and_(Event.status == S.RECEIVED.value, Event.updated_at < now - received_grace),
        and_(Event.status == S.QUEUED.value, Event.updated_at < now - stuck_after),
        and_(Event.status == S.PROCESSING.value, Event.claimed_at < now - stuck_after),
    )
    candidates = (
        select(Event.id).where(due).order_by(Event.id).limit(limit).with_for_update(skip_locked=True)
    )  # FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time and ignores it
    moved = session.execute(
        update(Event)
        .where(Event.id.in_(candidates.scalar_subquery()), due)  # `due` again: re-checked once locked
        .values(status=S.QUEUED.value, updated_at=now, next_attempt_at=None)
        .returning(Event.id)
    )
    won = sorted(moved.scalars())
    session.commit()
    return won


def mark_for_replay(
    session: Session, event_ids: Sequence[int], *, force: bool = False, now: datetime | None = None
) -> list[int]:
    """Set replayable events to `queued` with a fresh attempt budget; succeeded ones only with force."""
    now = now or utcnow()
    allowed = [s.value for s in REPLAYABLE] + ([S.SUCCEEDED.value] if force else [])
    # One statement for the whole chunk (an UPDATE per id through the ORM cost ~2 ms each, so
    # 100k ids took minutes); no session objects to synchronise, the ids come back from RETURNING.
    # The rows are found by primary key, never through a status index: after an outage the
    # planner's statistics still say `dead` is rare, PostgreSQL picks ix_events_status_updated and
    # reads every dead row for each chunk (1.6 s a chunk of 500 with 100k dead). `status || ''` is
    # the same value and no index serves it.
    # On PostgreSQL the ids travel as one array (`id = ANY($1)`): 500 separate parameters made
    # psycopg's prepared statement plan generically and scan, at three times the cost.
    status_unindexed = Event.status.concat("")
    ids = list(event_ids)
    if session.get_bind().dialect.name == "postgresql":
        by_id = Event.id == any_(bindparam("replay_ids", ids, type_=postgresql.ARRAY(BigInteger)))
    else:
        by_id = Event.id.in_(ids)
    marked = session.execute(
        update(Event)
        .where(by_id, status_unindexed.in_(allowed))
        .values(
            status=S.QUEUED.value,
            status_reason=None,
            next_attempt_at=None,
            updated_at=now,
            replay_base=Event.attempt_count,
        )
        .returning(Event.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    done = set(marked)
    session.commit()
    return [event_id for event_id in event_ids if event_id in done]  # in the order asked
