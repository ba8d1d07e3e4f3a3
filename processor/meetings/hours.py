"""A host's weekly working hours, their own or the business's: show, set, back to the business hours.

Wix's flow (Staff Members sample flows): the host's own hours are WORKING_HOURS events, one weekly
MASTER per weekday and range, on their events schedule, once Assign Working Hours Schedule points
them there; the business hours are the business schedule's. Every write is a diff against what Wix
holds, so a second run writes nothing. Days off: `processor/meetings/days_off.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import uuid4

from processor.meetings.days_off import TimeOff, list_days_off
from processor.meetings.host_calendar import (
    business_schedule_id,
    cancel,
    host_zone,
    most_common_zone,
    own_hours,
    own_schedule,
)
from processor.meetings.hosts import find_host
from processor.meetings.hours_spec import WeeklyPlan, parse_zone
from processor.wix import WixClient
from processor.wix.calendar_events import WEEKDAYS, CalendarEvent
from processor.wix.staff import StaffMember
from processor.wix.working_hours import WeeklyWorkingHours

OWN, BUSINESS = "own", "business"


@dataclass(frozen=True)
class WeeklyRange:
    """One weekly range as Wix holds it: local times in `time_zone`, every `every_weeks` weeks."""

    weekday: str  # MONDAY … SUNDAY
    start: str  # HH:MM
    end: str
    time_zone: str | None
    every_weeks: int
    until: str | None
    event_id: str

    @classmethod
    def from_event(cls, event: CalendarEvent) -> WeeklyRange:
        rule, starts, ends = event.recurrence_rule, event.starts_at, event.ends_at
        return cls(
            weekday=",".join(rule.days) if rule else "",
            start=f"{starts:%H:%M}" if starts else "",
            end=f"{ends:%H:%M}" if ends else "",
            time_zone=event.time_zone,
            every_weeks=rule.interval if rule else 1,
            until=rule.until[:10] if rule and rule.until else None,
            event_id=event.id,
        )

    def label(self) -> str:
        return f"{self.weekday.capitalize()} {self.start}-{self.end} {self.time_zone or ''}".rstrip()

    def week_order(self) -> tuple[int, str]:
        first = self.weekday.split(",")[0]
        return (WEEKDAYS.index(first) if first in WEEKDAYS else len(WEEKDAYS), self.start)


@dataclass(frozen=True)
class HostHours:
    """When a host works: `source` "own" or "business", the ranges, days off, what this run changed."""

    staff_member_id: str
    name: str | None
    email: str | None
    source: str
    time_zone: str | None
    hours: list[WeeklyRange]
    days_off: list[TimeOff]
    changes: list[str] = field(default_factory=list)


def show_hours(wix: WixClient, email: str) -> HostHours:
    """The host's weekly hours, whose they are, and their days off from today on."""
    return host_hours(wix, find_host(wix, email))


def host_hours(wix: WixClient, member: StaffMember, changes: Sequence[str] = ()) -> HostHours:
    """What Wix holds for this host now (reads only).

    A host is on the business hours while Wix says so (`usesDefaultWorkingHours`, assumption #49);
    their hours are then the business schedule's WORKING_HOURS masters, in that schedule's zone.
    """
    if member.uses_default_working_hours:
        events = wix.calendar_events.working_hours(schedule_id=business_schedule_id(wix, member))
        source = BUSINESS
    else:
        events, source = own_hours(wix, member), OWN
    time_zone = most_common_zone(events)
    return HostHours(
        staff_member_id=member.id,
        name=member.name,
        email=member.email,
        source=source,
        time_zone=time_zone,
        hours=sorted((WeeklyRange.from_event(e) for e in events), key=WeeklyRange.week_order),
        days_off=list_days_off(wix, member, time_zone or host_zone(wix, member, ())),
        changes=list(changes),
    )


def set_hours(wix: WixClient, email: str, plan: WeeklyPlan, time_zone: str | None = None) -> HostHours:
    """Give the host exactly these weekly hours (their own), replacing all earlier weekly hours."""
    return set_member_hours(wix, find_host(wix, email), plan, time_zone)


def set_member_hours(
    wix: WixClient, member: StaffMember, plan: WeeklyPlan, time_zone: str | None = None
) -> HostHours:
    """Assign the host's own schedule (once), cancel the ranges that go, create the ones that come.

    Ranges already there stay untouched, so a second run writes nothing. The zone defaults to that
    of the host's current own hours, else their events schedule's. Cancelling comes before creating,
    as in Wix's sample flow: a run cut short leaves the host with fewer hours, never extra ones a
    customer could book, and the next run finishes it (assumption #45).
    """
    schedule_id, resource_id = own_schedule(member)
    current = own_hours(wix, member)
    zone_name = parse_zone(time_zone) if time_zone else host_zone(wix, member, current)
    missing = plan.in_zone(zone_name)
    extra: list[CalendarEvent] = []
    for event in current:
        as_range = WeeklyWorkingHours.from_event(event)
        if as_range is not None and as_range in missing:
            missing.remove(as_range)
        else:
            extra.append(event)  # hours made elsewhere (dashboard, odd ranges) are replaced too
    changes: list[str] = []
    if member.uses_default_working_hours:
        member = wix.staff.use_own_working_hours(member)
        changes.append("the host no longer follows the business hours (Assign Working Hours Schedule)")
    changes.extend(_cancel_ranges(wix, _by_week(extra)))
    for hours in missing:
        body = hours.to_event(schedule_id=schedule_id, resource_id=resource_id)
        created = wix.calendar_events.create(body, idempotency_key=str(uuid4()))  # assumption #43
        changes.append(f"added {WeeklyRange.from_event(created).label()} (event {created.id})")
    return host_hours(wix, member, changes)


def use_business_hours(wix: WixClient, email: str) -> HostHours:
    """Put the host back on the business hours, then cancel their own weekly events (assumption #45)."""
    member = find_host(wix, email)
    changes: list[str] = []
    if not member.uses_default_working_hours:
        member = wix.staff.use_business_hours(member, business_schedule_id(wix, member))
        changes.append("the host follows the business hours again (Assign Working Hours Schedule)")
    changes.extend(_cancel_ranges(wix, _by_week(own_hours(wix, member))))
    return host_hours(wix, member, changes)


def _by_week(events: Iterable[CalendarEvent]) -> list[CalendarEvent]:
    """Monday first, then by start time: Wix lists events by their next occurrence, which moves with
    today's weekday (on a Thursday, Thursday's came before Wednesday's)."""
    return sorted(events, key=lambda e: WeeklyRange.from_event(e).week_order())


def _cancel_ranges(wix: WixClient, events: Iterable[CalendarEvent]) -> list[str]:
    return [f"removed {WeeklyRange.from_event(e).label()} (event {e.id})" for e in events if cancel(wix, e)]
