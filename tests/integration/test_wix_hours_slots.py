"""The fake's time slots follow a host's own weekly hours and days off, in the hours' own zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from processor.devtools import fake_wix_hours
from processor.wix import WixNotFoundError
from processor.wix.working_hours import DayOff, WeeklyWorkingHours, next_weekday

LISBON = "Europe/Lisbon"


@pytest.fixture
def host(wix_client, fake_wix):
    return wix_client.staff.get(fake_wix.add_staff_member("Dana Host", "dana@example.com")["id"])


@pytest.fixture
def link(fake_wix, host):
    return fake_wix.add_service("Intro call", staff_member_ids=[host.resource_id], duration_minutes=60)


@pytest.fixture
def tuesday() -> date:
    """A Tuesday at least a week ahead, so the weekly hours already run."""
    return next_weekday(datetime.now(ZoneInfo(LISBON)).date() + timedelta(days=7), "TUESDAY")


def _starts(wix_client, link, first: date, days: int, time_zone: str = LISBON) -> list[str]:
    page = wix_client.availability.list_time_slots(
        link["id"], f"{first}T00:00:00", f"{first + timedelta(days=days)}T00:00:00", time_zone
    )
    return [s.local_start_date for s in page.time_slots]


def _set_hours(wix_client, host, *ranges: tuple[str, time, time]) -> None:
    member = wix_client.staff.use_own_working_hours(host)
    for weekday, start, end in ranges:
        hours = WeeklyWorkingHours(weekday, start, end, LISBON)
        wix_client.calendar_events.create(
            hours.to_event(schedule_id=member.events_schedule_id, resource_id=member.resource_id)
        )


def _hourly(day: date, first: int, last: int) -> list[str]:
    return [f"{day}T{hour:02d}:00:00" for hour in range(first, last + 1)]


def test_business_hours_before_own_hours_only_inside_them_after(wix_client, host, link, tuesday):
    before = _starts(wix_client, link, tuesday, 2)

    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))
    after = _starts(wix_client, link, tuesday, 2)

    assert before == _hourly(tuesday, 9, 16) + _hourly(tuesday + timedelta(days=1), 9, 16)
    assert after == _hourly(tuesday, 10, 15)  # Wednesday: no hours at all


def test_hours_keep_their_own_zone_when_slots_are_asked_elsewhere(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))

    in_paris = _starts(wix_client, link, tuesday, 1, "Europe/Paris")

    assert in_paris == _hourly(tuesday, 11, 16)  # 10:00-16:00 Lisbon is 11:00-17:00 Paris


def test_several_ranges_a_day_leave_the_gap_free(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(9), time(12)), ("TUESDAY", time(14), time(17)))

    assert _starts(wix_client, link, tuesday, 1) == _hourly(tuesday, 9, 11) + _hourly(tuesday, 14, 16)


def test_a_day_off_blocks_its_days_and_no_others(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))
    next_tuesday = tuesday + timedelta(days=7)

    wix_client.calendar_events.create(
        DayOff(tuesday, tuesday, LISBON, "Dentist").to_event(schedule_id=host.events_schedule_id)
    )

    assert _starts(wix_client, link, tuesday, 8) == _hourly(next_tuesday, 10, 15)


def test_a_day_off_also_blocks_a_host_on_business_hours(wix_client, fake_wix, host, link, tuesday):
    fake_wix_hours.add_day_off(fake_wix, host.id, tuesday, tuesday, LISBON)

    assert _starts(wix_client, link, tuesday, 2) == _hourly(tuesday + timedelta(days=1), 9, 16)


def test_back_to_business_hours_ignores_the_own_hours(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))
    member = wix_client.staff.get(host.id)

    wix_client.staff.use_business_hours(member, wix_client.schedules.business_schedule().id)

    assert _starts(wix_client, link, tuesday, 1) == _hourly(tuesday, 9, 16)


def test_cancelled_hours_give_no_slots(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))
    [event] = wix_client.calendar_events.working_hours(external_schedule_id=host.resource_id)

    wix_client.calendar_events.cancel(event.id)

    assert _starts(wix_client, link, tuesday, 1) == []


def test_get_time_slot_rechecks_against_the_own_hours(wix_client, host, link, tuesday):
    _set_hours(wix_client, host, ("TUESDAY", time(10), time(16)))

    slot = wix_client.availability.get_time_slot(
        link["id"], f"{tuesday}T10:00:00", f"{tuesday}T11:00:00", LISBON
    )
    with pytest.raises(WixNotFoundError) as caught:
        wix_client.availability.get_time_slot(
            link["id"], f"{tuesday}T09:00:00", f"{tuesday}T10:00:00", LISBON
        )

    assert slot.bookable
    assert slot.resources == ((host.resource_id, "Dana Host"),)
    assert caught.value.code == "SLOT_NOT_FOUND"


def test_with_two_hosts_a_slot_lists_only_the_one_free_then(wix_client, fake_wix, host, tuesday):
    other = wix_client.staff.get(fake_wix.add_staff_member("Sam Host", "sam@example.com")["id"])
    link = fake_wix.add_service(
        "Team call", staff_member_ids=[host.resource_id, other.resource_id], duration_minutes=60
    )
    _set_hours(wix_client, host, ("TUESDAY", time(7), time(8)))

    page = wix_client.availability.list_time_slots(
        link["id"], f"{tuesday}T07:00:00", f"{tuesday}T10:00:00", LISBON, include_resource_type_ids=["staff"]
    )

    assert [(s.local_start_date[11:16], s.resources) for s in page.time_slots] == [
        ("07:00", ((host.resource_id, "Dana Host"),)),
        ("09:00", ((other.resource_id, "Sam Host"),)),
    ]
