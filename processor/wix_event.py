"""WixEvent: one decoded Wix webhook (or calendar-watcher observation), as every layer sees it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EVENT_BODY_KEYS = (
    ("createdEvent", "entity"),
    ("updatedEvent", "currentEntity"),
    ("deletedEvent", "deletedEntity"),
    ("actionEvent", "body"),
)


@dataclass(frozen=True)
class WixEvent:
    """One decoded Wix event: the dispatch key, the ids we index on, and the whole envelope."""

    wix_event_id: str
    event_type: str
    instance_id: str | None
    entity_id: str | None
    entity_sequence: int | None
    event_time: datetime | None
    payload: dict[str, Any]
    source: str = "wix"
    token_lifetime_seconds: int | None = field(default=None, compare=False)

    @property
    def data(self) -> dict[str, Any]:
        """Layer 3: the domain event (or app-instance data), parsed."""
        data: dict[str, Any] = self.payload["data"]
        return data

    @property
    def anonymize_request(self) -> bool:
        """Whether Wix sent this event because of a GDPR anonymisation (`triggeredByAnonymizeRequest`)."""
        data = self.payload.get("data")
        return isinstance(data, dict) and data.get("triggeredByAnonymizeRequest") is True

    @property
    def body(self) -> dict[str, Any] | None:
        """The entity or action body, whichever of Wix's event kinds this is."""
        return event_body(self.data)


def event_body(data: dict[str, Any]) -> dict[str, Any] | None:
    """`entity`, `currentEntity`, `deletedEntity` or `body`, read as `<key>` else `<key>AsJson`."""
    for kind, key in EVENT_BODY_KEYS:
        container = data.get(kind)
        if not isinstance(container, dict):
            continue
        value = container.get(key, container.get(key + "AsJson"))
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        return value if isinstance(value, dict) else None
    return None


def parse_event_time(value: Any) -> datetime | None:
    """Wix's `eventTime` (up to 9 fraction digits, `Z`) as an aware datetime; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = head + "." + rest[: min(digits, 6)] + rest[digits:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
