"""The event object of the admin API and `events show --json` (design.md's shape, plus additions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from processor.store.models import Event, Notification


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
        "payload_redacted_at": _iso(event.payload_redacted_at),
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
        "notifications": [notification_to_json(n) for n in event.notifications],
    }


def notification_to_json(notification: Notification) -> dict[str, Any]:
    """One notification as the event object lists it: what and how it went, never an address."""
    return {
        "id": notification.id,
        "channel": notification.channel,
        "kind": notification.kind,
        "recipient_role": notification.recipient_role,
        "status": notification.status,
        "attempts": notification.attempts,
        "last_error": notification.last_error,
        "created_at": _iso(notification.created_at),
        "next_attempt_at": _iso(notification.next_attempt_at),
        "sent_at": _iso(notification.sent_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
