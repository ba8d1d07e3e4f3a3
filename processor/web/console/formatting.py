"""Template filters: times in UTC, ages, durations, statuses, JSON; registered for every console page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from processor.web.console.blueprint import bp


@bp.app_template_filter("utc")
def utc(value: datetime | str | None) -> str:
    """`2026-12-10 09:00:03` (UTC), or an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@bp.app_template_filter("ago")
def ago(value: datetime | str | None, now: datetime | None = None) -> str:
    """`3 min ago`, `2 h ago`, `5 d ago`; `in 20 s` for the future."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    text = seconds_text(abs(seconds))
    return f"in {text}" if seconds < 0 else f"{text} ago"


@bp.app_template_filter("seconds")
def seconds_text(seconds: float | None) -> str:
    """A duration: `120 ms`, `4.2 s`, `7 min`, `3 h`, `2 d`."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@bp.app_template_filter("between")
def between(started: str | None, finished: str | None) -> str:
    """How long an attempt took, from its ISO start and end."""
    if not started or not finished:
        return "—"
    start = datetime.fromisoformat(started.replace("Z", "+00:00"))
    end = datetime.fromisoformat(finished.replace("Z", "+00:00"))
    return seconds_text((end - start).total_seconds())


@bp.app_template_filter("pretty_json")
def pretty_json(value: Any) -> str:
    """Indented JSON text (the template escapes it)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@bp.app_template_filter("short_type")
def short_type(event_type: str | None) -> str:
    """`wix.bookings.v2.booking_canceled` → `booking_canceled` (the full name is in the title)."""
    return (event_type or "").rsplit(".", 1)[-1]
