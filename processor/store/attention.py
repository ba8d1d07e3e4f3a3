"""What needs a person: failing events grouped by type and error, broken calendar connections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.store.models import CalendarConnectionState, Event, EventStatus

S = EventStatus
FAILING = (S.FAILED.value, S.DEAD.value)
BROKEN = ("ERROR", "DISCONNECTED")
# Grouping reads the newest failing events only; the page says when there were more.
GROUP_SCAN_LIMIT = 5_000

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_\-=]*\d)[A-Za-z0-9_\-=]{16,}\b")  # long ids with a digit in them
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalise_error(text: str | None) -> str:
    """The error with its ids and numbers replaced, so one cause is one group."""
    if not text:
        return "(no error text)"
    text = _UUID.sub("<id>", text.strip())
    text = _TOKEN.sub("<id>", text)
    return _NUMBER.sub("<n>", text)[:300]


@dataclass
class FailureGroup:
    """Failing events of one type with one (normalised) error."""

    event_type: str
    error: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    example_id: int | None = None
    example_error: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)


def failure_groups(session: Session, *, limit: int = GROUP_SCAN_LIMIT) -> tuple[list[FailureGroup], bool]:
    """Failed and dead events grouped by (type, normalised error), biggest first; True when truncated."""
    rows = session.execute(
        select(Event.id, Event.event_type, Event.status, Event.status_reason, Event.received_at)
        .where(Event.status.in_(FAILING))
        .order_by(Event.id.desc())
        .limit(limit + 1)
    ).all()
    truncated = len(rows) > limit
    groups: dict[tuple[str, str], FailureGroup] = {}
    for event_id, event_type, status, reason, received_at in rows[:limit]:
        key = (event_type, normalise_error(reason))
        group = groups.setdefault(key, FailureGroup(event_type, key[1]))
        group.count += 1
        group.statuses[status] = group.statuses.get(status, 0) + 1
        group.ids.append(event_id)
        if group.example_id is None:  # newest first: the example is the latest one
            group.example_id, group.example_error, group.last_seen = event_id, reason, received_at
        group.first_seen = received_at
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.event_type, g.error))
    for group in ordered:
        group.ids.reverse()  # oldest first, the order a replay runs them
    return ordered, truncated


def broken_connections(session: Session) -> list[CalendarConnectionState]:
    """Calendar connections the watcher last saw in ERROR or DISCONNECTED, longest broken first."""
    return list(
        session.execute(
            select(CalendarConnectionState)
            .where(CalendarConnectionState.status.in_(BROKEN))
            .order_by(CalendarConnectionState.status_since)
        ).scalars()
    )
