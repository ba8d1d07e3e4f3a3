"""What ops and flows ask of stored events: filtered pages, ids to replay, one event, counts, sequences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from processor.store.models import Attempt, Event, EventStatus

S = EventStatus
# The event object carries its attempts and notifications: one extra query each per page, not per event.
_WITH_DETAILS = (selectinload(Event.attempts), selectinload(Event.notifications))


@dataclass(frozen=True)
class EventFilter:
    """Which events a listing or bulk replay means."""

    status: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.status:
            conds.append(Event.status == self.status)
        if self.event_type:
            conds.append(Event.event_type == self.event_type)
        if self.since:
            conds.append(Event.received_at >= self.since)
        if self.until:
            conds.append(Event.received_at < self.until)
        return conds


def page(
    session: Session, where: EventFilter, *, limit: int = 50, before_id: int | None = None
) -> tuple[list[Event], int | None]:
    """Newest first; returns the events and the id to continue before (None at the end)."""
    query = select(Event).where(*where.conditions()).options(*_WITH_DETAILS)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    rows = list(session.execute(query.order_by(Event.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def matching_ids(session: Session, where: EventFilter, *, limit: int = 100_000) -> list[int]:
    """Ids of events that match, oldest first (replay order)."""
    query = select(Event.id).where(*where.conditions()).order_by(Event.id).limit(limit)
    return list(session.execute(query).scalars())


def get(session: Session, event_id: int) -> Event | None:
    """One event with its attempts."""
    return session.execute(
        select(Event).where(Event.id == event_id).options(*_WITH_DETAILS)
    ).scalar_one_or_none()


def count_by_type_and_status(session: Session) -> dict[tuple[str, str], int]:
    """How many events of each type are in each status (for /metrics)."""
    rows = session.execute(
        select(Event.event_type, Event.status, func.count()).group_by(Event.event_type, Event.status)
    ).all()
    return {(event_type, status): count for event_type, status, count in rows}


def recent_attempt_durations(
    session: Session, since: datetime, limit: int = 20_000
) -> dict[tuple[str, str], tuple[int, float]]:
    """(event type, outcome) → (count, total seconds) of attempts finished since `since`."""
    rows = session.execute(
        select(Event.event_type, Attempt.outcome, Attempt.started_at, Attempt.finished_at)
        .join(Event, Event.id == Attempt.event_id)
        .where(Attempt.finished_at >= since)
        .limit(limit)
    ).all()
    totals: dict[tuple[str, str], tuple[int, float]] = {}
    for event_type, outcome, started, finished in rows:
        if finished is None:
            continue
        count, total = totals.get((event_type, outcome or "unknown"), (0, 0.0))
        totals[(event_type, outcome or "unknown")] = (count + 1, total + (finished - started).total_seconds())
    return totals


def newest_sequence_seen(session: Session, entity_id: str, event_types: Sequence[str]) -> int | None:
    """The highest entity sequence among processed events of this entity (stale-event checks)."""
    return session.execute(
        select(func.max(Event.entity_sequence)).where(
            Event.entity_id == entity_id,
            Event.event_type.in_(list(event_types)),
            Event.status.in_([S.SUCCEEDED.value, S.SKIPPED.value]),
        )
    ).scalar_one_or_none()
