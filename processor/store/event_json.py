"""The event object of the admin API and `events show --json` (design.md's shape, plus additions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from processor.store.models import Event


def event_to_json(event: Event) -> dict[str, Any]:
    """The event object of the admin API and `events show --json`."""
    return {
        "id": event.id,
        "wix_event_id": event.wix_event_id,
        "event_type": event.event_type,
        "source": event.source,
        "instance_id": event.instance_id,
        "entity_id": event.entity_id,
        "status": event.status,
        "status_reason": event.status_reason,
        "received_at": _iso(event.received_at),
        "updated_at": _iso(event.updated_at),
        "next_attempt_at": _iso(event.next_attempt_at),
        "attempt_count": event.attempt_count,
        "payload": event.payload,
        "attempts": [
            {
                "number": a.number,
                "started_at": _iso(a.started_at),
                "finished_at": _iso(a.finished_at),
                "outcome": a.outcome,
                "error": a.error,
            }
            for a in event.attempts
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
