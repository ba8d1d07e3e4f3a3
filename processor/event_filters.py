"""Ops' filter words (statuses, type, site, source, `2h`/`7d`/ISO times, a search) → an EventFilter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from processor.store import event_queries
from processor.store.models import EventStatus

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STATUSES = tuple(s.value for s in EventStatus)
SOURCES = ("wix", "watcher")
MAX_SEARCH_LENGTH = 500


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
    *,
    status: object,
    event_type: object,
    since: object,
    until: object = None,
    statuses: Sequence[str] = (),
    instance_id: str | None = None,
    source: str | None = None,
    search: str | None = None,
) -> event_queries.EventFilter:
    """Validate ops' filter words into an EventFilter (`statuses`: several at once, any of them).

    Each word is a string or absent: a JSON filter may carry anything, e.g. `{"type": ["a"]}`, which
    the store would refuse with an error, not a 400."""
    status, event_type = _text("status", status), _text("type", event_type)
    since, until = _text("since", since), _text("until", until)
    for value in (status, *statuses):
        if value and value not in STATUSES:
            raise BadFilterError(f"unknown status {value!r}; one of: {', '.join(STATUSES)}")
    if source and source not in SOURCES:
        raise BadFilterError(f"unknown source {source!r}; one of: {', '.join(SOURCES)}")
    search = (search or "").strip() or None
    if search and len(search) > MAX_SEARCH_LENGTH:
        raise BadFilterError(f"search text longer than {MAX_SEARCH_LENGTH} characters")
    return event_queries.EventFilter(
        status=status or None,
        event_type=event_type or None,
        since=parse_when(since),
        until=parse_when(until),
        statuses=tuple(dict.fromkeys(s for s in statuses if s)),
        instance_id=instance_id or None,
        source=source or None,
        search=search,
    )


def _text(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise BadFilterError(f"{name}: expected a string, got {type(value).__name__}")
