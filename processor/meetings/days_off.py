"""A host's days off: whole days blocked by an OPAQUE event on their events schedule (assumption #41)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import uuid4

from processor.meetings.errors import InvalidInputError, NotFoundError
from processor.meetings.host_calendar import cancel, host_zone, own_hours, own_schedule
from processor.meetings.hosts import find_host
from processor.wix import WixClient, WixNotFoundError
from processor.wix.calendar_events import OPAQUE, CalendarEvent
from processor.wix.staff import StaffMember
from processor.wix.working_hours import DayOff, zone

DAYS_OFF_AHEAD = timedelta(days=2 * 366)  # how far ahead `hosts hours` lists days off


@dataclass(frozen=True)
class TimeOff:
    """A block on the host's events schedule; whole days have `first_day`/`last_day` (inclusive)."""

    event_id: str
    first_day: str | None
    last_day: str | None
    start: str | None  # local date-time in `time_zone`
    end: str | None
    time_zone: str | None
    reason: str | None

    @classmethod
    def from_event(cls, event: CalendarEvent) -> TimeOff:
        days = DayOff.from_event(event)
        return cls(
            event_id=event.id,
            first_day=str(days.first_day) if days else None,
            last_day=str(days.last_day) if days else None,
            start=event.start,
            end=event.end,
            time_zone=event.time_zone,
            reason=event.title,
        )

    def label(self) -> str:
        if self.first_day:
            return f"the day off {self.first_day} to {self.last_day}"
        return f"the block {self.start} to {self.end}"


@dataclass(frozen=True)
class DayOffChange:
    """A day off added or removed (`changes` empty: it was already so)."""

    staff_member_id: str
    email: str | None
    day_off: TimeOff
    changes: list[str] = field(default_factory=list)


def list_days_off(
    wix: WixClient, member: StaffMember, zone_name: str, first: date | None = None, last: date | None = None
) -> list[TimeOff]:
    """Live single OPAQUE blocks on the host's events schedule overlapping the days (default: from today)."""
    if not member.events_schedule_id:
        return []
    first = first or datetime.now(zone(zone_name)).date()
    last = last or first + DAYS_OFF_AHEAD
    found = wix.calendar_events.days_off(
        schedule_id=member.events_schedule_id,
        from_local_date=f"{first.isoformat()}T00:00:00",
        to_local_date=f"{(last + timedelta(days=1)).isoformat()}T00:00:00",
        time_zone=zone_name,
    )
    return [TimeOff.from_event(e) for e in found]


def add_day_off(
    wix: WixClient, email: str, first_day: date, last_day: date, reason: str | None = None
) -> DayOffChange:
    """Block whole days (inclusive) in the host's zone; the same days blocked already: no write."""
    try:
        DayOff(first_day, last_day, "UTC", reason)  # the dates and the reason, before any call
    except ValueError as exc:
        raise InvalidInputError(f"day off: {exc}") from None
    member = find_host(wix, email)
    schedule_id, _ = own_schedule(member)
    zone_name = host_zone(wix, member, own_hours(wix, member))
    if last_day < datetime.now(zone(zone_name)).date():
        raise InvalidInputError(f"day off: {last_day} is in the past ({zone_name})")
    for blocked in list_days_off(wix, member, zone_name, first_day, last_day):
        if (blocked.first_day, blocked.last_day) == (str(first_day), str(last_day)):
            return DayOffChange(member.id, member.email, blocked)
    event = DayOff(first_day, last_day, zone_name, reason).to_event(schedule_id=schedule_id)
    created = wix.calendar_events.create(event, idempotency_key=str(uuid4()))  # assumption #43
    change = f"blocked {first_day} to {last_day} ({zone_name}) as event {created.id}"
    return DayOffChange(member.id, member.email, TimeOff.from_event(created), [change])


def remove_day_off(wix: WixClient, email: str, event_id: str) -> DayOffChange:
    """Cancel one of the host's days off by event id; one cancelled already: no write."""
    member = find_host(wix, email)
    try:
        event = wix.calendar_events.get(event_id)
    except WixNotFoundError:
        raise NotFoundError(
            f"no day off {event_id}: `wix-meetings hosts hours --email {email}` lists them"
        ) from None
    if (
        event.schedule_id != member.events_schedule_id
        or event.is_working_hours
        or event.transparency not in (None, OPAQUE)
    ):
        raise NotFoundError(f"event {event_id} is not a day off of {email}")
    off = TimeOff.from_event(event)
    changes = []
    if not event.is_cancelled and cancel(wix, event):
        changes.append(f"removed {off.label()} (event {event.id})")
    return DayOffChange(member.id, member.email, off, changes)
