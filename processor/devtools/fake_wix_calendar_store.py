"""Fake Wix: what the calendar holds (events, schedules) and how a recurring event expands in time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from processor.devtools.fake_wix_core import BOOKINGS_APP_ID, FakeState, JsonDict, new_id, now_iso

BUSINESS_SCHEDULE_EXTERNAL_ID = "4e0579a5-491e-4e70-a872-d097eed6e520"
BUSINESS_TIME_ZONE = "UTC"
# The fake's business hours, every day. Time slots of hosts on business hours keep their old meaning:
# these hours in the *requested* time zone (so earlier tests hold); the business schedule's
# WORKING_HOURS events report them in BUSINESS_TIME_ZONE.
BUSINESS_HOURS = (time(9), time(17))
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
LOCAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?")
_ATTRIBUTE = "calendar"


@dataclass
class FakeCalendar:
    """Calendar V3 state of one fake site."""

    events: dict[str, JsonDict] = field(default_factory=dict)
    schedules: dict[str, JsonDict] = field(default_factory=dict)
    idempotency_keys: dict[str, str] = field(default_factory=dict)  # key -> event id
    cursors: dict[str, JsonDict] = field(default_factory=dict)  # token -> query and offset
    business_schedule_id: str | None = None


def calendar_of(state: FakeState) -> FakeCalendar:
    """The site's calendar, made on first use.

    Kept beside FakeState's fields rather than among them so the concurrent multi-site change to
    fake_wix_core merges cleanly; it becomes a plain field once that lands.
    """
    calendar = vars(state).get(_ATTRIBUTE)
    if calendar is None:
        calendar = vars(state)[_ATTRIBUTE] = FakeCalendar()
    return cast(FakeCalendar, calendar)


def zone_or_none(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_local(value: object) -> datetime | None:
    """A `localDate` (`YYYY-MM-DDThh:mm[:ss[.sss]]`, no offset) as a naive datetime; seconds dropped."""
    if not isinstance(value, str) or not LOCAL_DATE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value).replace(second=0, microsecond=0)
    except ValueError:
        return None


def local_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def zoned(local: datetime, time_zone: str) -> JsonDict:
    """A ZonedDate as Wix returns it: local, zone, and the UTC instant."""
    instant = _utc(local, ZoneInfo(time_zone))
    return {
        "localDate": local_text(local),
        "timeZone": time_zone,
        "utcDate": instant.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def new_schedule(schedule_id: str, external_id: str, name: str) -> JsonDict:
    return {
        "id": schedule_id,
        "externalId": external_id,
        "name": name,
        "status": "ACTIVE",
        "timeZone": BUSINESS_TIME_ZONE,
        "businessTimeZoneEnabled": True,
        "appId": BOOKINGS_APP_ID,
        "revision": "1",
        "createdDate": now_iso(),
        "updatedDate": now_iso(),
    }


def business_schedule(state: FakeState) -> JsonDict:
    """The business schedule with its WORKING_HOURS masters (every day, BUSINESS_HOURS), made once."""
    calendar = calendar_of(state)
    if calendar.business_schedule_id is None:
        schedule = new_schedule(new_id(), BUSINESS_SCHEDULE_EXTERNAL_ID, "business")
        calendar.schedules[schedule["id"]] = schedule
        calendar.business_schedule_id = schedule["id"]
        first_monday = date(2024, 1, 1)  # made at install, long ago
        for offset, weekday in enumerate(WEEKDAYS):
            day = first_monday + timedelta(days=offset)
            start, end = (datetime.combine(day, t) for t in BUSINESS_HOURS)
            event = new_event(schedule, "WORKING_HOURS", start, end, BUSINESS_TIME_ZONE)
            event["recurrenceType"] = "MASTER"
            event["recurrenceRule"] = {"frequency": "WEEKLY", "interval": 1, "days": [weekday]}
            calendar.events[event["id"]] = event
    return calendar.schedules[cast(str, calendar.business_schedule_id)]


def sync_schedules(state: FakeState) -> None:
    """Give every staff member's events schedule and every service's schedule a schedule record."""
    calendar = calendar_of(state)
    business_schedule(state)
    for member in state.staff.values():
        schedule_id = member["resource"]["eventsSchedule"]["id"]
        if schedule_id not in calendar.schedules:
            calendar.schedules[schedule_id] = new_schedule(schedule_id, member["resourceId"], member["name"])
    for service in state.services.values():
        schedule_id = (service.get("schedule") or {}).get("id")
        if schedule_id and schedule_id not in calendar.schedules:
            calendar.schedules[schedule_id] = new_schedule(
                schedule_id, service["id"], service.get("name", "")
            )


def find_schedule(state: FakeState, schedule_id: str) -> JsonDict | None:
    sync_schedules(state)
    return calendar_of(state).schedules.get(schedule_id)


def new_event(schedule: JsonDict, kind: str, start: datetime, end: datetime, time_zone: str) -> JsonDict:
    """A stored single-occurrence event on a schedule, revision 1."""
    return {
        "id": new_id(),
        "scheduleId": schedule["id"],
        "externalScheduleId": schedule["externalId"],
        "scheduleName": schedule["name"],
        "type": kind,
        "status": "CONFIRMED",
        "start": zoned(start, time_zone),
        "end": zoned(end, time_zone),
        "timeZone": time_zone,
        "recurrenceType": "NONE",
        "transparency": "OPAQUE",
        "resources": [],
        "appId": schedule["appId"],
        "inheritedFields": [],
        "revision": "1",
        "createdDate": now_iso(),
        "updatedDate": now_iso(),
    }


def occurrences(event: JsonDict, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of each occurrence overlapping [lo, hi): the event itself, or a MASTER's series."""
    tz = ZoneInfo(event["timeZone"])
    lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
    start = cast(datetime, parse_local(event["start"]["localDate"]))
    length = cast(datetime, parse_local(event["end"]["localDate"])) - start
    rule = event.get("recurrenceRule")
    if event.get("recurrenceType") != "MASTER" or not isinstance(rule, dict):
        first, last = _utc(start, tz), _utc(start + length, tz)
        return [(first, last)] if first < hi and lo < last else []
    until = parse_local((rule.get("until") or {}).get("localDate"))
    interval = int(rule.get("interval") or 1)
    from_day = (lo.astimezone(tz) - length).date() - timedelta(days=1)
    to_day = hi.astimezone(tz).date() + timedelta(days=1)
    week = max(0, -(-(from_day - start.date()).days // 7))
    found: list[tuple[datetime, datetime]] = []
    while (local := start + timedelta(weeks=week)).date() <= to_day:
        if until is not None and local > until:
            break
        if week % interval == 0:
            first, last = _utc(local, tz), _utc(local + length, tz)
            if first < hi and lo < last:
                found.append((first, last))
        week += 1
    return found


def _utc(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC)
