"""Working-hours models: what they accept, what they build, how they read Wix's answers."""

from datetime import date, time

import pytest

from processor.wix.calendar_events import CalendarEvent
from processor.wix.staff import StaffMember
from processor.wix.working_hours import DayOff, WeeklyWorkingHours, next_weekday

# Shapes from the Events V3 schema (SDK type definitions), ids shortened.
WORKING_HOURS_MASTER = {
    "id": "e1",
    "scheduleId": "s1",
    "externalScheduleId": "r1",
    "type": "WORKING_HOURS",
    "status": "CONFIRMED",
    "start": {
        "localDate": "2026-06-16T10:00:00",
        "timeZone": "Europe/Lisbon",
        "utcDate": "2026-06-16T09:00:00Z",
    },
    "end": {
        "localDate": "2026-06-16T16:00:00",
        "timeZone": "Europe/Lisbon",
        "utcDate": "2026-06-16T15:00:00Z",
    },
    "timeZone": "Europe/Lisbon",
    "recurrenceType": "MASTER",
    "recurrenceRule": {"frequency": "WEEKLY", "interval": 1, "days": ["TUESDAY"]},
    "transparency": "OPAQUE",
    "resources": [{"id": "r1", "name": "Dana"}],
    "revision": "3",
}


def test_next_weekday_counts_today():
    assert next_weekday(date(2026, 6, 16), "TUESDAY") == date(2026, 6, 16)
    assert next_weekday(date(2026, 6, 17), "TUESDAY") == date(2026, 6, 23)


@pytest.mark.parametrize(
    ("weekday", "start", "end", "zone", "message"),
    [
        ("TUESDAY", time(16), time(10), "Europe/Lisbon", "not before"),
        ("TUESDAY", time(10), time(10), "Europe/Lisbon", "not before"),
        ("TUE", time(10), time(16), "Europe/Lisbon", "not a weekday"),
        ("TUESDAY", time(10), time(16), "Lisbon", "IANA"),
    ],
)
def test_weekly_hours_refuse_what_wix_would(weekday, start, end, zone, message):
    with pytest.raises(ValueError, match=message):
        WeeklyWorkingHours(weekday, start, end, zone)


def test_weekly_hours_read_back_from_their_master_event():
    event = CalendarEvent.from_wire(WORKING_HOURS_MASTER)

    assert WeeklyWorkingHours.from_event(event) == WeeklyWorkingHours(
        "TUESDAY", time(10), time(16), "Europe/Lisbon"
    )
    assert (event.revision, event.resource_ids, event.external_schedule_id) == (3, ("r1",), "r1")


def test_an_overnight_or_foreign_event_is_not_weekly_hours():
    overnight = {**WORKING_HOURS_MASTER, "end": {"localDate": "2026-06-17T02:00:00"}}
    blocked = {**WORKING_HOURS_MASTER, "type": "DEFAULT"}

    assert WeeklyWorkingHours.from_event(CalendarEvent.from_wire(overnight)) is None
    assert WeeklyWorkingHours.from_event(CalendarEvent.from_wire(blocked)) is None


def test_a_day_off_ends_at_the_midnight_after_its_last_day():
    event = DayOff(date(2026, 12, 24), date(2026, 12, 26), "Europe/Lisbon").to_event(schedule_id="s1")

    assert (event["start"], event["end"]) == (
        {"localDate": "2026-12-24T00:00:00"},
        {"localDate": "2026-12-27T00:00:00"},
    )
    assert event["title"] == "Day off"


def test_a_day_off_refuses_a_backwards_range_and_a_long_reason():
    with pytest.raises(ValueError, match="before"):
        DayOff(date(2026, 12, 26), date(2026, 12, 24), "Europe/Lisbon")
    with pytest.raises(ValueError, match="200"):
        DayOff(date(2026, 12, 24), date(2026, 12, 24), "Europe/Lisbon", "x" * 201)


def test_a_partial_day_block_is_not_a_day_off():
    lunch = {
        **WORKING_HOURS_MASTER,
        "type": "DEFAULT",
        "recurrenceType": "NONE",
        "recurrenceRule": None,
        "start": {"localDate": "2026-06-16T12:00:00"},
    }

    assert DayOff.from_event(CalendarEvent.from_wire(lunch)) is None


@pytest.mark.parametrize(
    ("resource", "uses_default"),
    [
        ({"id": "r1", "eventsSchedule": {"id": "s1"}}, True),  # nothing listed: the default (#30)
        ({"id": "r1", "workingHoursSchedules": [{"id": "b", "shared": True}]}, True),
        ({"id": "r1", "workingHoursSchedules": [{"id": "s1", "shared": False}]}, False),
        ({"id": "r1", "workingHoursSchedules": [{"id": "s1"}], "usesDefaultWorkingHours": True}, True),
    ],
)
def test_staff_member_reads_whether_it_uses_the_business_hours(resource, uses_default):
    member = StaffMember.from_wire({"id": "m1", "resourceId": "r1", "resource": resource})

    assert member.uses_default_working_hours is uses_default
