"""What ops and flows ask of stored events: filtered pages, ids to replay, one event, counts, sequences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Text, cast, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from processor.store.models import Attempt, Event, EventCount, EventStatus

S = EventStatus
# Statuses an event leaves again on its own; the others are counted in `event_counts`.
LIVE_STATUSES = (S.RECEIVED.value, S.QUEUED.value, S.PROCESSING.value, S.FAILED.value)
# A search looks inside payloads (service and connection ids) of the newest events only: exact ids
# use indexes (id, wix_event_id, entity_id), a payload scan over the whole table would not.
SEARCH_PAYLOAD_WINDOW = 10_000
# The event object carries its attempts and notifications: one extra query each per page, not per event.
_WITH_DETAILS = (selectinload(Event.attempts), selectinload(Event.notifications))


@dataclass(frozen=True)
class EventFilter:
    """Which events a listing or bulk replay means."""

    status: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()
    instance_id: str | None = None
    source: str | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.status:
            conds.append(Event.status == self.status)
        if self.statuses:
            conds.append(Event.status.in_(list(self.statuses)))
        if self.instance_id:
            conds.append(Event.instance_id == self.instance_id)
        if self.source:
            conds.append(Event.source == self.source)
        if self.search:
            conds.append(_search_condition(self.search))
        if self.event_type:
            conds.append(Event.event_type == self.event_type)
        if self.since:
            conds.append(Event.received_at >= self.since)
        if self.until:
            conds.append(Event.received_at < self.until)
        return conds

    def without_statuses(self) -> EventFilter:
        """The same filter for every status (what the status counts are taken over)."""
        return EventFilter(
            event_type=self.event_type,
            since=self.since,
            until=self.until,
            instance_id=self.instance_id,
            source=self.source,
            search=self.search,
        )


def _search_condition(text: str) -> ColumnElement[bool]:
    """An event by our id, Wix event id, entity id (booking, connection…), or an id in a recent payload."""
    exact: list[ColumnElement[bool]] = [Event.wix_event_id == text, Event.entity_id == text]
    if text.isdigit() and len(text) < 19:
        exact.append(Event.id == int(text))
    newest = aliased(Event)  # an alias, so the subquery is not correlated with the outer query
    window_start = (
        select(newest.id)
        .order_by(newest.id.desc())
        .offset(SEARCH_PAYLOAD_WINDOW - 1)
        .limit(1)
        .scalar_subquery()
    )
    in_payload = (Event.id >= func.coalesce(window_start, 0)) & cast(Event.payload, Text).contains(
        text, autoescape=True
    )
    return or_(*exact, in_payload)


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
    """How many events of each type are in each status (for /metrics), exact and cheap.

    Final statuses come from `event_counts`, which triggers keep as events change status (migration
    0007); the live ones (received, queued, processing, failed: the backlog) are counted through the
    status index. No scan of the events that are done, however many there are.
    """
    counted = session.execute(
        select(EventCount.event_type, EventCount.status, EventCount.count).where(EventCount.count > 0)
    ).all()
    live = session.execute(
        select(Event.event_type, Event.status, func.count())
        .where(Event.status.in_(LIVE_STATUSES))
        .group_by(Event.event_type, Event.status)
    ).all()
    return {(event_type, status): int(count) for event_type, status, count in [*counted, *live]}


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


def handled_before(session: Session, entity_id: str, event_type: str) -> bool:
    """Whether an event of this type for this entity already succeeded."""
    found = session.execute(
        select(Event.id)
        .where(
            Event.entity_id == entity_id,
            Event.event_type == event_type,
            Event.status == S.SUCCEEDED.value,
        )
        .limit(1)
    ).first()
    return found is not None


def count_by_status(session: Session, where: EventFilter) -> dict[str, int]:
    """How many events match in each status."""
    rows = session.execute(
        select(Event.status, func.count()).where(*where.conditions()).group_by(Event.status)
    ).all()
    return {status: count for status, count in rows}


def count_matching(session: Session, where: EventFilter) -> int:
    """How many events match (a bulk replay's dry run)."""
    return int(
        session.execute(select(func.count()).select_from(Event).where(*where.conditions())).scalar_one()
    )


def related_events(session: Session, entity_id: str, *, limit: int = 50) -> list[Event]:
    """Events of the same entity (booking, connection…), in the entity's sequence order, then arrival."""
    rows = session.execute(
        select(Event)
        .where(Event.entity_id == entity_id)
        .order_by(Event.id.desc())
        .limit(limit)
        .options(selectinload(Event.attempts))
    ).scalars()
    return sorted(rows, key=lambda e: (e.entity_sequence is None, e.entity_sequence or 0, e.id))
