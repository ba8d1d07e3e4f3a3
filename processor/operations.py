"""What ops do to events, shared by the CLI and the admin API: list, show, replay."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from processor.queue import publish
from processor.store import inbox
from processor.store.models import EventStatus

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STATUSES = tuple(s.value for s in EventStatus)


class BadFilterError(ValueError):
    """A filter value that cannot mean anything (unknown status, unreadable time)."""


def parse_when(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """`2h`, `30m`, `7d` (ago) or an ISO timestamp (UTC when no offset) → aware datetime."""
    if value is None or value == "":
        return None
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadFilterError(f"not a time: {value!r} (use 2h, 30m, 7d or an ISO timestamp)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def make_filter(
    *, status: str | None, event_type: str | None, since: str | None, until: str | None = None
) -> inbox.EventFilter:
    """Validate ops' filter words into an EventFilter."""
    if status and status not in STATUSES:
        raise BadFilterError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    return inbox.EventFilter(
        status=status or None,
        event_type=event_type or None,
        since=parse_when(since),
        until=parse_when(until),
    )


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did: ids set back to queued, and how many the broker took at once."""

    replayed: list[int]
    published: int
    skipped: list[int]


def replay(
    session: Session,
    celery: Celery,
    event_ids: Sequence[int],
    *,
    force: bool = False,
    progress: Callable[[int], Any] | None = None,
    chunk: int = 100,
) -> ReplayResult:
    """Re-enqueue events (succeeded ones only with `force`); unpublished ones the sweep re-sends."""
    replayed: list[int] = []
    published = 0
    for start in range(0, len(event_ids), chunk):
        part = list(event_ids[start : start + chunk])
        marked = inbox.mark_for_replay(session, part, force=force)
        replayed.extend(marked)
        published += len(publish(celery, marked))
        if progress:
            progress(len(part))
    skipped = [i for i in event_ids if i not in set(replayed)]
    return ReplayResult(replayed, published, skipped)
