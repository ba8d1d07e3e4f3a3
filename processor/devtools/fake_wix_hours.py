"""Fake Wix: a host's own working hours (Assign Working Hours Schedule) and when they can be booked."""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from processor.devtools import fake_wix_calendar
from processor.devtools.fake_wix_calendar_store import (
    BUSINESS_HOURS,
    WEEKDAYS,
    business_schedule,
    calendar_of,
    local_text,
    occurrences,
)
from processor.devtools.fake_wix_core import (
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    bump_revision,
    invalid_field,
)

routes = RouteTable()
STAFF = "/bookings/v1/staff-members"
Window = tuple[datetime, datetime]  # UTC, end exclusive


def uses_default_hours(member: JsonDict) -> bool:
    """Wix's flag, else: a shared schedule or none listed (a fresh fake member lists none)."""
    resource = member.get("resource") or {}
    if isinstance(resource.get("usesDefaultWorkingHours"), bool):
        return bool(resource["usesDefaultWorkingHours"])
    schedules = resource.get("workingHoursSchedules") or []
    return not schedules or any(s.get("shared") for s in schedules)


def _staff_view(member: JsonDict, fields: Any) -> JsonDict:
    wanted = fields if isinstance(fields, list) else [fields]
    return member if "RESOURCE_DETAILS" in wanted else {k: v for k, v in member.items() if k != "resource"}


@routes.add("POST", f"{STAFF}/(?P<staff_id>[^/]+)/assign-working-hours-schedule")
def assign_working_hours_schedule(state: FakeState, req: FakeRequest, staff_id: str) -> JsonDict:
    member = state.staff.get(staff_id)
    if member is None:
        raise FakeWixError(404, f"staff member {staff_id} not found", code="STAFF_MEMBER_NOT_FOUND")
    schedule_id = req.body.get("scheduleId")
    if not schedule_id:
        raise invalid_field("scheduleId", "must not be empty")
    own, business = member["resource"]["eventsSchedule"]["id"], business_schedule(state)["id"]
    if schedule_id not in (own, business):
        raise invalid_field(
            "scheduleId", "must be the staff member's event schedule or the business working hours schedule"
        )
    back_to_business = schedule_id == business
    changed = uses_default_hours(member) != back_to_business
    member["resource"]["workingHoursSchedules"] = [{"id": schedule_id, "shared": back_to_business}]
    member["resource"]["usesDefaultWorkingHours"] = back_to_business
    if changed:  # assigning what is already assigned writes nothing (Wix API assumption #31)
        bump_revision(member)
    return {"staffMember": _staff_view(member, req.body.get("fields"))}


def business_windows(lo: datetime, hi: datetime, time_zone: str) -> list[Window]:
    """BUSINESS_HOURS on every day, in the requested zone (the fake's business-hours default)."""
    tz = ZoneInfo(time_zone)
    day, last = lo.astimezone(tz).date() - timedelta(days=1), hi.astimezone(tz).date() + timedelta(days=1)
    found = []
    while day <= last:
        opens, closes = (datetime.combine(day, t, tzinfo=tz).astimezone(UTC) for t in BUSINESS_HOURS)
        if opens < hi and lo < closes:
            found.append((opens, closes))
        day += timedelta(days=1)
    return found


def _merged(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _without(windows: list[Window], blocks: list[Window]) -> list[Window]:
    for block_start, block_end in blocks:
        kept: list[Window] = []
        for start, end in windows:
            if block_end <= start or end <= block_start:
                kept.append((start, end))
                continue
            if start < block_start:
                kept.append((start, block_start))
            if block_end < end:
                kept.append((block_end, end))
        windows = kept
    return windows


def free_windows(
    state: FakeState, member: JsonDict, lo: datetime, hi: datetime, time_zone: str
) -> list[Window]:
    """When a host works in [lo, hi): their hours (own or the business's) minus OPAQUE blocks."""
    schedule_id = member["resource"]["eventsSchedule"]["id"]
    events = [
        e
        for e in calendar_of(state).events.values()
        if e["scheduleId"] == schedule_id and e["status"] == "CONFIRMED"
    ]
    if uses_default_hours(member):
        hours = business_windows(lo, hi, time_zone)
    else:  # own hours: the WORKING_HOURS events, each in its own zone
        hours = [w for e in events if e["type"] == "WORKING_HOURS" for w in occurrences(e, lo, hi)]
    blocks = [
        w
        for e in events
        if e["type"] != "WORKING_HOURS" and e["transparency"] == "OPAQUE"
        for w in occurrences(e, lo, hi)
    ]
    return _without(_merged(hours), blocks)


def slot_starts(
    state: FakeState, hosts: list[JsonDict], start: datetime, end: datetime, time_zone: str, length: timedelta
) -> list[tuple[datetime, list[JsonDict]]]:
    """UTC starts of `length` slots inside [start, end) (local to `time_zone`), with the hosts free then.

    Slots step by `length` from the start of each free window; a service without hosts uses the
    business hours and lists no one.
    """
    tz = ZoneInfo(time_zone)
    lo, hi = start.replace(tzinfo=tz).astimezone(UTC), end.replace(tzinfo=tz).astimezone(UTC)
    by_start: dict[datetime, list[JsonDict]] = defaultdict(list)
    plans: list[tuple[list[JsonDict], list[Window]]] = [
        ([host], free_windows(state, host, lo, hi, time_zone)) for host in hosts
    ] or [([], business_windows(lo, hi, time_zone))]
    for free, windows in plans:
        for window_start, window_end in windows:
            cursor = window_start
            while cursor + length <= window_end:
                if lo <= cursor and cursor + length <= hi:
                    by_start[cursor].extend(free)
                cursor += length
    return sorted(by_start.items(), key=lambda item: item[0])


# -- seeding, for tests and demos ----------------------------------------------------------------


class _Fake(Protocol):
    state: FakeState
    lock: threading.RLock


def _create(fake: _Fake, event: JsonDict) -> JsonDict:
    request = FakeRequest("POST", "/calendar/v3/events", {}, {"event": event}, "")
    with fake.lock:
        return copy.deepcopy(fake_wix_calendar.create_event(fake.state, request)["event"])


def add_working_hours(
    fake: _Fake, staff_member_id: str, weekday: str, start: time, end: time, time_zone: str
) -> JsonDict:
    """Give a host their own weekly range (detaching them from business hours), as the dashboard would."""
    with fake.lock:
        member = fake.state.staff[staff_member_id]
        schedule_id = member["resource"]["eventsSchedule"]["id"]
        member["resource"]["workingHoursSchedules"] = [{"id": schedule_id, "shared": False}]
        member["resource"]["usesDefaultWorkingHours"] = False
        today = datetime.now(ZoneInfo(time_zone)).date()
        day = today + timedelta(days=(WEEKDAYS.index(weekday) - today.weekday()) % 7)
        event = {
            "scheduleId": schedule_id,
            "type": "WORKING_HOURS",
            "start": {"localDate": local_text(datetime.combine(day, start))},
            "end": {"localDate": local_text(datetime.combine(day, end))},
            "timeZone": time_zone,
            "recurrenceRule": {"frequency": "WEEKLY", "interval": 1, "days": [weekday]},
            "resources": [{"id": member["resourceId"]}],
        }
    return _create(fake, event)


def add_day_off(fake: _Fake, staff_member_id: str, first: date, last: date, time_zone: str) -> JsonDict:
    """Block whole days on a host's events schedule (an OPAQUE single event)."""
    with fake.lock:
        schedule_id = fake.state.staff[staff_member_id]["resource"]["eventsSchedule"]["id"]
    event = {
        "scheduleId": schedule_id,
        "title": "Day off",
        "start": {"localDate": f"{first.isoformat()}T00:00:00"},
        "end": {"localDate": f"{(last + timedelta(days=1)).isoformat()}T00:00:00"},
        "timeZone": time_zone,
        "transparency": "OPAQUE",
        "allDay": True,
    }
    return _create(fake, event)


def calendar_events(fake: _Fake) -> dict[str, JsonDict]:
    """A copy of every stored calendar event (business hours included), by id."""
    with fake.lock:
        return copy.deepcopy(calendar_of(fake.state).events)


def business_schedule_id(fake: _Fake) -> str:
    with fake.lock:
        return str(business_schedule(fake.state)["id"])
