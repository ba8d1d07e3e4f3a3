"""Calendar Events V3: events on a schedule, as read and written (models to write: working_hours)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, as_revision, dig, read_entity, read_list

EVENTS_PATH = "/calendar/v3/events"
WORKING_HOURS = "WORKING_HOURS"
OPAQUE = "OPAQUE"
CANCELLED = "CANCELLED"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
BOOKINGS_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"  # owner of staff schedules
PAGE_SIZE = 100


@dataclass(frozen=True)
class RecurrenceRule:
    """`recurrenceRule`: WEEKLY only, one day per MASTER event (Wix API assumption #37)."""

    frequency: str
    interval: int
    days: tuple[str, ...]
    until: str | None  # localDate

    @classmethod
    def from_wire(cls, raw: JsonDict) -> RecurrenceRule:
        return cls(
            frequency=raw.get("frequency") or "WEEKLY",
            interval=int(raw.get("interval") or 1),
            days=tuple(raw.get("days") or ()),
            until=dig(raw, "until", "localDate"),
        )


@dataclass(frozen=True)
class CalendarEvent:
    """One event as Wix returns it; `start`/`end` are local wall-clock times in `time_zone`."""

    id: str
    schedule_id: str | None
    external_schedule_id: str | None
    type: str | None
    status: str | None
    title: str | None
    start: str | None
    end: str | None
    time_zone: str | None
    recurrence_type: str | None
    recurrence_rule: RecurrenceRule | None
    recurring_event_id: str | None
    transparency: str | None
    resource_ids: tuple[str, ...]
    all_day: bool
    revision: int | None
    app_id: str | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> CalendarEvent:
        rule = raw.get("recurrenceRule")
        return cls(
            id=raw["id"],
            schedule_id=raw.get("scheduleId"),
            external_schedule_id=raw.get("externalScheduleId"),
            type=raw.get("type"),
            status=raw.get("status"),
            title=raw.get("title"),
            start=dig(raw, "start", "localDate"),
            end=dig(raw, "end", "localDate"),
            time_zone=raw.get("timeZone") or dig(raw, "start", "timeZone"),
            recurrence_type=raw.get("recurrenceType"),
            recurrence_rule=RecurrenceRule.from_wire(rule) if isinstance(rule, dict) else None,
            recurring_event_id=raw.get("recurringEventId"),
            transparency=raw.get("transparency"),
            resource_ids=tuple(
                r["id"] for r in raw.get("resources") or () if isinstance(r, dict) and r.get("id")
            ),
            all_day=bool(raw.get("allDay")),
            revision=as_revision(raw.get("revision")),
            app_id=raw.get("appId"),
            raw=raw,
        )

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def is_working_hours(self) -> bool:
        return self.type == WORKING_HOURS

    @property
    def starts_at(self) -> datetime | None:
        return datetime.fromisoformat(self.start) if self.start else None

    @property
    def ends_at(self) -> datetime | None:
        return datetime.fromisoformat(self.end) if self.end else None


class CalendarEventsApi:
    """Events V3 calls. There is no Delete Event: cancelling is how an event goes (assumption #40)."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def create(
        self, event: JsonDict, *, idempotency_key: str | None = None, time_zone: str | None = None
    ) -> CalendarEvent:
        """Create one event (a `recurrenceRule` makes it a MASTER); build it with the models above."""
        body: JsonDict = {"event": event}
        if idempotency_key:
            body["idempotencyKey"] = idempotency_key  # assumption #43
        if time_zone:
            body["timeZone"] = time_zone
        return _event(self._transport.call("POST", EVENTS_PATH, json=body))

    def get(self, event_id: str, *, time_zone: str | None = None) -> CalendarEvent:
        """One event by id."""
        params = {"timeZone": time_zone} if time_zone else None
        return _event(self._transport.call("GET", _event_path(event_id), params=params))

    def list_by_ids(self, event_ids: Sequence[str]) -> list[CalendarEvent]:
        """Up to 100 events by id (assumption #48: `eventIds` repeated); unknown ids are left out."""
        params = [("eventIds", event_id) for event_id in event_ids]
        answer = self._transport.call("GET", EVENTS_PATH, params=params)
        return read_list(answer, "events", CalendarEvent.from_wire, "List Events")

    def query(
        self,
        *,
        schedule_ids: Sequence[str] = (),
        external_schedule_ids: Sequence[str] = (),
        types: Sequence[str] = (),
        transparency: str | None = None,
        recurrence_types: Sequence[str] = (),
        from_local_date: str | None = None,
        to_local_date: str | None = None,
        time_zone: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[CalendarEvent]:
        """Every page of Query Events (WORKING_HOURS only when `types` names it, assumption #32)."""
        query_filter: JsonDict = {}
        for key, values in (
            ("scheduleId", schedule_ids),
            ("externalScheduleId", external_schedule_ids),
            ("type", types),
        ):
            if values:
                query_filter[key] = values[0] if len(values) == 1 else {"$in": list(values)}
        if transparency:
            query_filter["transparency"] = transparency
        top: JsonDict = {}
        if recurrence_types:
            top["recurrenceType"] = list(recurrence_types)
        for key, value in (("fromLocalDate", from_local_date), ("toLocalDate", to_local_date)):
            if value:
                top[key] = value
        if time_zone:
            top["timeZone"] = time_zone
        found: list[CalendarEvent] = []
        query: JsonDict = {"filter": query_filter, "cursorPaging": {"limit": page_size}}
        while True:
            answer = self._transport.call("POST", f"{EVENTS_PATH}/query", json={"query": query, **top})
            found.extend(read_list(answer, "events", CalendarEvent.from_wire, "Query Events"))
            cursor = dig(answer, "pagingMetadata", "cursors", "next")
            if not cursor or dig(answer, "pagingMetadata", "hasNext") is False:
                return found
            query = {"cursorPaging": {"limit": page_size, "cursor": cursor}}  # assumption #42

    def working_hours(
        self, *, external_schedule_id: str | None = None, schedule_id: str | None = None
    ) -> list[CalendarEvent]:
        """Live WORKING_HOURS MASTER events of a host (by resource id, #33) or of a schedule."""
        found = self.query(
            external_schedule_ids=[external_schedule_id] if external_schedule_id else (),
            schedule_ids=[schedule_id] if schedule_id else (),
            types=[WORKING_HOURS],
            recurrence_types=["MASTER"],
        )
        return [e for e in found if e.is_working_hours and not e.is_cancelled]  # #32, #40

    def days_off(
        self, *, schedule_id: str, from_local_date: str, to_local_date: str, time_zone: str | None = None
    ) -> list[CalendarEvent]:
        """Live single-occurrence OPAQUE blocks on an events schedule overlapping the range."""
        found = self.query(
            schedule_ids=[schedule_id],
            transparency=OPAQUE,
            recurrence_types=["NONE"],
            from_local_date=from_local_date,
            to_local_date=to_local_date,
            time_zone=time_zone,
        )
        return [
            e for e in found if not e.is_working_hours and not e.is_cancelled and e.transparency == OPAQUE
        ]

    def update(
        self, event_id: str, revision: int, changes: JsonDict, *, time_zone: str | None = None
    ) -> CalendarEvent:
        """Change an event; `revision` from a read just before (stale: 409, assumption #38)."""
        body: JsonDict = {"event": {**changes, "id": event_id, "revision": str(revision)}}
        if time_zone:
            body["timeZone"] = time_zone
        return _event(self._transport.call("PATCH", _event_path(event_id), json=body))

    def cancel(self, event_id: str, *, notify_participants: bool = False) -> CalendarEvent:
        """Cancel an event; a MASTER stops its series (twice: 428, assumption #39)."""
        body = {"participantNotification": {"notifyParticipants": notify_participants}}
        return _event(self._transport.call("POST", f"{_event_path(event_id)}/cancel", json=body))


def _event_path(event_id: str) -> str:
    return f"{EVENTS_PATH}/{segment(event_id, 'event id')}"


def _event(body: dict[str, Any]) -> CalendarEvent:
    return read_entity(body, "event", CalendarEvent.from_wire, "Calendar Events V3")
