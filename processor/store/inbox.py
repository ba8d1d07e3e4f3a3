"""The event inbox, the hot path: record an event, mark it queued, claim it, finish it, re-queue it."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from processor.store import claim_sql
from processor.store.db import dialect_insert, utcnow
from processor.store.driver import run_alone
from processor.store.models import Attempt, Event, EventStatus
from processor.wix_event import WixEvent

S = EventStatus


@dataclass(frozen=True)
class Claim:
    """A claimed event: this worker alone runs attempt `attempt_number` until it finishes."""

    event_id: int
    attempt_number: int
    claimed_at: datetime
    failures_so_far: int
    event: WixEvent | None = field(default=None, compare=False, repr=False)  # as stored, for its flow


@dataclass(frozen=True)
class GaveUp:
    """An event the claim made `dead` instead of running it: it used its attempts, each one lost."""

    event_id: int
    attempts: int
    event_type: str
    entity_id: str | None


@dataclass(frozen=True)
class Claimed:
    """What one claim of a batch took: events to run now, and events it gave up on."""

    claims: list[Claim]
    gave_up: list[GaveUp]


@dataclass(frozen=True)
class Finished:
    """How one claimed attempt ended: the event's next status and the attempt's outcome."""

    claim: Claim
    status: EventStatus
    outcome: str
    reason: str | None = None
    next_attempt_at: datetime | None = None


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
        insert = dialect_insert(dialect)
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
    max_attempts: int | None = None,
    worker: str | None = None,
    now: datetime | None = None,
) -> Claim | None:
    """Take one event; None when another worker has it, it is done, or it had used its attempts."""
    claimed = claim_many(
        session, [event_id], stuck_after=stuck_after, max_attempts=max_attempts, worker=worker, now=now
    )
    return claimed.claims[0] if claimed.claims else None


def claim_many(
    session: Session,
    event_ids: Sequence[int],
    *,
    stuck_after: timedelta,
    max_attempts: int | None = None,
    worker: str | None = None,
    now: datetime | None = None,
) -> Claimed:
    """Take every claimable event of `event_ids` with one conditional update, and commit.

    Each is won by one worker only (two workers claiming one batch each get a disjoint part). For
    each it opens a new attempt and closes an attempt a dead worker left open as `abandoned`. An
    event that has used `max_attempts` since its last replay is made `dead` (`worker lost on every
    attempt`) instead, and listed in `gave_up` for the caller to alert about.
    """
    if not event_ids:
        return Claimed([], [])
    now = now or utcnow()
    bind = session.get_bind()
    sql = claim_sql.statements(bind.dialect.name)
    params: dict[str, Any] = {
        "ids": sorted(set(event_ids)),
        "now": now,
        "stuck_before": now - stuck_after,
        "max_attempts": max_attempts if max_attempts is not None else 2**31 - 1,
        "lost_reason": claim_sql.LOST_REASON,
        "abandoned_error": claim_sql.ABANDONED_ERROR,
        "worker": worker,
    }
    rows: Sequence[Any]
    if engine := _alone(session, bind):  # one statement, committed by itself, on the driver
        rows = [_ClaimRow(*row) for row in run_alone(engine, sql.claim, params).rows]
    else:
        rows = session.execute(sql.claim, params).all()
    if sql.dialect != "postgresql" and rows:  # the CTE's other two steps, in the same transaction
        session.execute(sql.abandon, {**params, "ids": [row.id for row in rows]})
        started = [row for row in rows if row.status == S.PROCESSING.value]
        if started:
            session.execute(
                sql.start,
                [
                    {"event_id": r.id, "number": r.attempt_count, "now": now, "worker": worker}
                    for r in started
                ],
            )
    session.commit()
    claims: list[Claim] = []
    gave_up: list[GaveUp] = []
    for row in sorted(rows, key=lambda r: int(r.id)):
        if row.status != S.PROCESSING.value:
            gave_up.append(GaveUp(row.id, row.attempt_count, row.event_type, row.entity_id))
            continue
        event = WixEvent(
            wix_event_id=row.wix_event_id,
            event_type=row.event_type,
            instance_id=row.instance_id,
            entity_id=row.entity_id,
            entity_sequence=row.entity_sequence,
            event_time=row.event_time,
            payload=row.payload,
            source=row.source,
        )
        failures = row.attempt_count - 1 - row.replay_base
        claims.append(Claim(row.id, row.attempt_count, now, failures_so_far=failures, event=event))
    return Claimed(claims, gave_up)


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
    ended = Finished(claimed, status, outcome, reason, next_attempt_at)
    return claimed.event_id in finish_many(session, [ended], now=now)


def finish_many(session: Session, ended: Sequence[Finished], *, now: datetime | None = None) -> set[int]:
    """Record how each attempt ended, in one statement, and commit; the ids whose status was set.

    An event a sweep re-claimed meanwhile (a newer claim) keeps the newer attempt's status; its own
    attempt is closed all the same.
    """
    if not ended:
        return set()
    now = now or utcnow()
    bind = session.get_bind()
    sql = claim_sql.statements(bind.dialect.name)
    errors = [f.reason if f.outcome != "succeeded" else None for f in ended]
    if sql.dialect == "postgresql":
        params = {
            "now": now,
            "ids": [f.claim.event_id for f in ended],
            "claimed_ats": [f.claim.claimed_at for f in ended],
            "statuses": [f.status.value for f in ended],
            "reasons": [f.reason for f in ended],
            "next_attempt_ats": [f.next_attempt_at for f in ended],
            "numbers": [f.claim.attempt_number for f in ended],
            "outcomes": [f.outcome for f in ended],
            "errors": errors,
        }
        if engine := _alone(session, bind):  # one statement, committed by itself, on the driver
            rows: Sequence[Any] = run_alone(engine, sql.finish, params).rows
        else:
            rows = session.execute(sql.finish, params).all()
        done = {int(row[0]) for row in rows}
    else:
        done = set()
        for f, error in zip(ended, errors, strict=True):
            event_id = f.claim.event_id
            params = {"now": now, "id": event_id, "number": f.claim.attempt_number}
            session.execute(sql.finish_attempt, {**params, "outcome": f.outcome, "error": error})
            row = session.execute(
                sql.finish_event,
                {
                    **params,
                    "claimed_at": f.claim.claimed_at,
                    "status": f.status.value,
                    "reason": f.reason,
                    "next_attempt_at": f.next_attempt_at,
                },
            ).first()
            if row is not None:
                done.add(event_id)
    session.commit()
    return done


_ClaimRow = namedtuple("_ClaimRow", claim_sql.CLAIM_COLUMNS)  # type: ignore[misc]  # driver rows, by name


def _alone(session: Session, bind: Any) -> Engine | None:
    """The engine when this PostgreSQL statement may go on the driver by itself: the session holds
    no transaction of its own (whose uncommitted rows the statement would have to see)."""
    alone = isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not session.in_transaction()
    return bind if alone else None


def claimable_types(session: Session, event_ids: Sequence[int]) -> dict[int, str]:
    """Event type of each of `event_ids` that is not final yet (one primary-key lookup)."""
    if not event_ids:
        return {}
    final = [s.value for s in (S.SUCCEEDED, S.IGNORED, S.SKIPPED, S.DEAD)]
    rows = session.execute(_types_statement(), {"ids": sorted(set(event_ids)), "final": final}).all()
    session.rollback()  # a read: end the transaction (on SQLite it holds the write lock)
    return {int(event_id): event_type for event_id, event_type in rows}


_types_query: list[Any] = []


def _types_statement() -> Any:
    if not _types_query:
        _types_query.append(
            select(Event.id, Event.event_type).where(
                Event.id.in_(bindparam("ids", expanding=True)),
                Event.status.not_in(bindparam("final", expanding=True)),
            )
        )
    return _types_query[0]


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
