"""What a host's working hours and days off look like as Calendar events (Wix API assumptions #34-#41)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from processor.wix.calendar_events import BOOKINGS_APP_ID, OPAQUE, WEEKDAYS, WORKING_HOURS, CalendarEvent
from processor.wix.wire import JsonDict


def zone(name: str) -> ZoneInfo:
    """An IANA zone (`Europe/Lisbon`), or ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone: {name!r}") from None


def local_date_time(day: date, at: time) -> str:
    """A Calendar `localDate`: `YYYY-MM-DDThh:mm:ss`, no offset (Wix ignores the seconds)."""
    return f"{day.isoformat()}T{at.strftime('%H:%M:%S')}"


def next_weekday(on_or_after: date, weekday: str) -> date:
    """The first date on or after `on_or_after` that falls on `weekday` (`"TUESDAY"`)."""
    return on_or_after + timedelta(days=(WEEKDAYS.index(weekday) - on_or_after.weekday()) % 7)


@dataclass(frozen=True)
class WeeklyWorkingHours:
    """One weekly range: every `interval` weeks on `weekday`, `start` to `end` local to `time_zone`."""

    weekday: str
    start: time
    end: time
    time_zone: str
    interval: int = 1
    until: date | None = None

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ValueError(f"not a weekday: {self.weekday!r}")
        if self.start >= self.end:
            raise ValueError(f"{self.weekday}: {self.start:%H:%M} is not before {self.end:%H:%M}")
        if not 1 <= self.interval <= 4:
            raise ValueError("interval must be 1 to 4 weeks")
        zone(self.time_zone)

    @classmethod
    def from_event(cls, event: CalendarEvent) -> WeeklyWorkingHours | None:
        """The range a WORKING_HOURS MASTER event defines; None for anything else."""
        rule, starts, ends = event.recurrence_rule, event.starts_at, event.ends_at
        if not event.is_working_hours or rule is None or len(rule.days) != 1 or not starts or not ends:
            return None
        until = datetime.fromisoformat(rule.until).date() if rule.until else None
        try:
            zone_name = event.time_zone or "UTC"
            return cls(rule.days[0], starts.time(), ends.time(), zone_name, rule.interval, until)
        except ValueError:
            return None  # an overnight or odd event made elsewhere: not one of ours to compare

    def first_day(self, on_or_after: date | None = None) -> date:
        """The first occurrence: today (in the host's zone) or later, on the weekday (assumption #36)."""
        today = on_or_after or datetime.now(zone(self.time_zone)).date()
        return next_weekday(today, self.weekday)

    def to_event(
        self, *, schedule_id: str, resource_id: str | None = None, starting: date | None = None
    ) -> JsonDict:
        """The Create Event body's `event` (assumptions #34, #35)."""
        day = self.first_day(starting)
        rule: JsonDict = {"frequency": "WEEKLY", "interval": self.interval, "days": [self.weekday]}
        if self.until is not None:
            rule["until"] = {"localDate": local_date_time(self.until, time(23, 59))}
        event: JsonDict = {
            "scheduleId": schedule_id,
            "type": WORKING_HOURS,
            "start": {"localDate": local_date_time(day, self.start)},
            "end": {"localDate": local_date_time(day, self.end)},
            "timeZone": self.time_zone,
            "recurrenceRule": rule,
        }
        if resource_id:
            event.update(
                externalScheduleId=resource_id, resources=[{"id": resource_id}], appId=BOOKINGS_APP_ID
            )
        return event


@dataclass(frozen=True)
class DayOff:
    """Whole days blocked, `first_day` to `last_day` inclusive, in the host's zone (assumption #41)."""

    first_day: date
    last_day: date
    time_zone: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"{self.last_day} is before {self.first_day}")
        if self.reason is not None and not 1 <= len(self.reason) <= 200:
            raise ValueError("the reason must be 1 to 200 characters")
        zone(self.time_zone)

    @classmethod
    def from_event(cls, event: CalendarEvent) -> DayOff | None:
        """The days a whole-day OPAQUE block covers; None for a partial-day or other event."""
        starts, ends = event.starts_at, event.ends_at
        if event.is_working_hours or event.transparency not in (None, OPAQUE) or not starts or not ends:
            return None
        if starts.time() != time(0) or ends.time() != time(0) or ends <= starts:
            return None
        return cls(starts.date(), ends.date() - timedelta(days=1), event.time_zone or "UTC", event.title)

    def to_event(self, *, schedule_id: str) -> JsonDict:
        """A single-occurrence blocking event: midnight to the midnight after the last day."""
        event: JsonDict = {
            "scheduleId": schedule_id,
            "title": self.reason or "Day off",
            "start": {"localDate": local_date_time(self.first_day, time(0))},
            "end": {"localDate": local_date_time(self.last_day + timedelta(days=1), time(0))},
            "timeZone": self.time_zone,
            "transparency": OPAQUE,
            "allDay": True,
        }
        return event
