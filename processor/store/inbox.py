"""The event inbox, the hot path: record an event, mark it queued, claim it, finish it, re-queue it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processor.store.db import utcnow
from processor.store.models import Attempt, Event, EventStatus
from processor.wix_event import WixEvent

S = EventStatus
REPLAYABLE = (S.FAILED, S.DEAD, S.IGNORED, S.SKIPPED, S.RECEIVED)


@dataclass(frozen=True)
class Claim:
    """A claimed event: this worker alone runs attempt `attempt_number` until it finishes."""

    event_id: int
    attempt_number: int
    claimed_at: datetime
    failures_so_far: int


EVENT_COLUMNS = (
    "wix_event_id",
    "event_type",
    "source",
    "instance_id",
    "entity_id",
    "entity_sequence",
    "event_time",
    "status",
    "payload",
    "received_at",
    "updated_at",
    "attempt_count",
    "replay_base",
)
_insert_statements: dict[str, Any] = {}


def _insert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (wix_event_id) DO NOTHING RETURNING id, built once per dialect."""
    if dialect not in _insert_statements:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _insert_statements[dialect] = (
            insert(Event)
            .values({name: bindparam(name, type_=Event.__table__.c[name].type) for name in EVENT_COLUMNS})
            .on_conflict_do_nothing(index_elements=["wix_event_id"])
            .returning(Event.id)
        )
    return _insert_statements[dialect]


def received_values(event: WixEvent, now: datetime) -> dict[str, Any]:
    return {
        "wix_event_id": event.wix_event_id,
        "event_type": event.event_type,
        "source": event.source,
        "instance_id": event.instance_id,
        "entity_id": event.entity_id,
        "entity_sequence": event.entity_sequence,
        "event_time": event.event_time,
        "status": S.RECEIVED.value,
        "payload": event.payload,
        "received_at": now,
        "updated_at": now,
        "attempt_count": 0,
        "replay_base": 0,
    }


def record_received(session: Session, event: WixEvent, now: datetime | None = None) -> tuple[int, bool]:
    """Insert the event unless its Wix id is known; commit; return (event id, is new)."""
    bind = session.connection()
    new_id = session.execute(
        _insert_statement(bind.dialect.name), received_values(event, now or utcnow())
    ).scalar_one_or_none()
    if new_id is None:  # lost the race, or a redelivery: the first stored row answers
        new_id = session.execute(
            select(Event.id).where(Event.wix_event_id == event.wix_event_id)
        ).scalar_one()
        session.commit()
        return new_id, False
    session.commit()
    return new_id, True


def mark_queued(session: Session, event_ids: Sequence[int], now: datetime | None = None) -> int:
    """`received` → `queued` once the broker accepted the message; commits."""
    if not event_ids:
        return 0
    result = session.execute(
        update(Event)
        .where(Event.id.in_(list(event_ids)), Event.status == S.RECEIVED.value)
        .values(status=S.QUEUED.value, updated_at=now or utcnow())
    )
    session.commit()
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


def claim(
    session: Session,
    event_id: int,
    *,
    stuck_after: timedelta,
    worker: str | None = None,
    now: datetime | None = None,
) -> Claim | None:
    """Take the event with one conditional update; None when another worker has it or it is done."""
    now = now or utcnow()
    claimable = or_(
        Event.status.in_([S.RECEIVED.value, S.QUEUED.value]),
        and_(Event.status == S.FAILED.value, Event.next_attempt_at <= now),
        and_(Event.status == S.PROCESSING.value, Event.claimed_at < now - stuck_after),
    )
    result = session.execute(
        update(Event)
        .where(Event.id == event_id, claimable)
        .values(
            status=S.PROCESSING.value,
            claimed_at=now,
            updated_at=now,
            next_attempt_at=None,
            attempt_count=Event.attempt_count + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    count, base = session.execute(
        select(Event.attempt_count, Event.replay_base).where(Event.id == event_id)
    ).one()
    session.execute(
        update(Attempt)
        .where(Attempt.event_id == event_id, Attempt.finished_at.is_(None))
        .values(finished_at=now, outcome="abandoned", error="worker lost before finishing")
    )
    session.add(Attempt(event_id=event_id, number=count, started_at=now, worker=worker))
    session.commit()
    return Claim(event_id, count, now, failures_so_far=count - 1 - base)


def finish(
    session: Session,
    claimed: Claim,
    *,
    status: EventStatus,
    outcome: str,
    reason: str | None = None,
    next_attempt_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the attempt's end and the event's new status; False if a sweep re-claimed it meanwhile."""
    now = now or utcnow()
    session.execute(
        update(Attempt)
        .where(Attempt.event_id == claimed.event_id, Attempt.number == claimed.attempt_number)
        .values(finished_at=now, outcome=outcome, error=reason if outcome != "succeeded" else None)
    )
    result = session.execute(
        update(Event)
        .where(
            Event.id == claimed.event_id,
            Event.status == S.PROCESSING.value,
            Event.claimed_at == claimed.claimed_at,
        )
        .values(
            status=status.value,
            status_reason=reason,
            next_attempt_at=next_attempt_at,
            updated_at=now,
        )
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def defer(
    session: Session,
    claimed: Claim,
    until: datetime,
    *,
    reason: str,
    now: datetime | None = None,
) -> bool:
    """Give the claim back without using it: the attempt ends `deferred`, the event is `queued`
    again, due at `until` (`next_attempt_at`), and counts neither as a failure nor against
    MAX_ATTEMPTS (`replay_base` moves with `attempt_count`). False if a sweep re-claimed it meanwhile.
    Whoever defers publishes the event for `until`; a lost message is re-sent by the sweep."""
    now = now or utcnow()
    session.execute(
        update(Attempt)
        .where(Attempt.event_id == claimed.event_id, Attempt.number == claimed.attempt_number)
        .values(finished_at=now, outcome="deferred", error=reason)
    )
    result = session.execute(
        update(Event)
        .where(
            Event.id == claimed.event_id,
            Event.status == S.PROCESSING.value,
            Event.claimed_at == claimed.claimed_at,
        )
        .values(
            status=S.QUEUED.value,
            status_reason=reason,
            next_attempt_at=until,
            replay_base=Event.replay_base + 1,
            updated_at=now,
        )
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


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
