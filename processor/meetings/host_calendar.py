"""What the hours and days-off actions share: a host's own schedule, own hours, zone, and cancelling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from processor.meetings.errors import MeetingsError
from processor.wix import WixClient, WixNotFoundError, WixPreconditionError
from processor.wix.calendar_events import CalendarEvent
from processor.wix.staff import StaffMember


def own_schedule(member: StaffMember) -> tuple[str, str]:
    """The host's events schedule id and resource id, which their own hours and days off live on."""
    if not member.events_schedule_id or not member.resource_id:
        raise MeetingsError(f"Wix lists no events schedule for staff member {member.id}; try again")
    return member.events_schedule_id, member.resource_id


def own_hours(wix: WixClient, member: StaffMember) -> list[CalendarEvent]:
    """The host's live WORKING_HOURS masters (by resource id, #33), re-checked as theirs on our side.

    The re-check means a Wix that ignored the filter could never make us touch another schedule's hours.
    """
    if not member.resource_id:
        return []
    found = wix.calendar_events.working_hours(external_schedule_id=member.resource_id)
    return [
        e
        for e in found
        if e.external_schedule_id == member.resource_id or e.schedule_id == member.events_schedule_id
    ]


def business_schedule_id(wix: WixClient, member: StaffMember) -> str:
    """The business's working-hours schedule: the host's shared one if listed, else Query Schedules (#29)."""
    if member.business_working_hours_schedule_id:
        return member.business_working_hours_schedule_id
    schedule = wix.schedules.business_schedule()
    if schedule is None:
        raise MeetingsError("Wix lists no business schedule on this site (Query Schedules)")
    return schedule.id


def most_common_zone(events: Iterable[CalendarEvent]) -> str | None:
    zones = Counter(e.time_zone for e in events if e.time_zone)
    return zones.most_common(1)[0][0] if zones else None


def host_zone(wix: WixClient, member: StaffMember, own: Iterable[CalendarEvent]) -> str:
    """The zone of the host's own hours, else of their events schedule (the site's), else UTC."""
    found = most_common_zone(own)
    if found:
        return found
    if member.events_schedule_id:
        try:
            schedule_zone = wix.schedules.get(member.events_schedule_id).time_zone
        except WixNotFoundError:
            schedule_zone = None
        if schedule_zone:
            return schedule_zone
    return "UTC"


def cancel(wix: WixClient, event: CalendarEvent) -> bool:
    """Cancel an event (there is no delete, #40); False when it was cancelled meanwhile (428, #39)."""
    try:
        wix.calendar_events.cancel(event.id)
    except WixPreconditionError:
        if not wix.calendar_events.get(event.id).is_cancelled:
            raise
        return False
    return True
