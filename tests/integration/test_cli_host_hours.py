"""`wix-meetings hosts hours|off` and `hosts setup --hours` against the fake Wix API over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from processor.devtools import fake_wix_hours
from processor.wix.calendar_events import BOOKINGS_APP_ID
from processor.wix.calendar_schedules import BUSINESS_SCHEDULE_EXTERNAL_ID
from processor.wix.working_hours import next_weekday
from tests.support import cli_site
from tests.support.cli_site import SiteCli

site_cli = cli_site.site_cli

EMAIL = "dana@example.com"
LISBON = "Europe/Lisbon"
EVENTS = "/calendar/v3/events"
TUE_THU = ("--set", "tue-thu 10:00-16:00")


@pytest.fixture
def host(site_cli: SiteCli) -> dict[str, str]:
    """The demo site's Dana, on the business hours."""
    return site_cli.fake.seed_demo()


def _assign_path(host: dict[str, str]) -> str:
    return f"/bookings/v1/staff-members/{host['staff_member_id']}/assign-working-hours-schedule"


def _hours(site_cli: SiteCli, *args: str) -> dict:
    result = site_cli.run("hosts", "hours", "--email", EMAIL, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _ranges(data: dict) -> list[tuple[str, str, str, str | None]]:
    return [(r["weekday"], r["start"], r["end"], r["time_zone"]) for r in data["hours"]]


def _today_in_lisbon() -> date:
    return datetime.now(ZoneInfo(LISBON)).date()


def _own_events(site_cli: SiteCli, host: dict[str, str]) -> list[dict]:
    return [
        e
        for e in fake_wix_hours.calendar_events(site_cli.fake).values()
        if e["scheduleId"] == host["schedule_id"] and e["type"] == "WORKING_HOURS"
    ]


def test_a_host_on_the_business_hours_is_shown_so_and_nothing_is_written(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    table = site_cli.run("hosts", "hours", "--email", EMAIL)
    data = _hours(site_cli)

    assert table.exit_code == 0, table.output
    assert "works the business hours, UTC" in table.output
    assert "days off: none ahead" in table.output
    assert site_cli.writes() == []
    assert data["source"] == "business"
    assert len(data["hours"]) == 7  # the fake's business hours: every day 09:00-17:00 UTC
    assert set(_ranges(data)) == {(d, "09:00", "17:00", "UTC") for d in {r["weekday"] for r in data["hours"]}}
    business = fake_wix_hours.business_schedule_id(site_cli.fake)
    [query] = [
        r for r in site_cli.calls() if r.path == f"{EVENTS}/query" and r.json["recurrenceType"] == ["MASTER"]
    ]
    assert query.json["query"]["filter"] == {"scheduleId": business, "type": "WORKING_HOURS"}


def test_set_gives_the_host_own_hours_one_weekly_event_per_day_and_range(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    result = site_cli.run(
        "hosts", "hours", "--email", EMAIL, *TUE_THU, "--set", "fri 09:00-12:00", "--tz", LISBON
    )

    assert result.exit_code == 0, result.output
    assert site_cli.writes() == [("POST", _assign_path(host))] + [("POST", EVENTS)] * 4
    assign = next(r for r in site_cli.calls() if r.path == _assign_path(host))
    assert assign.json == {"scheduleId": host["schedule_id"], "fields": ["RESOURCE_DETAILS"]}
    creates = [r.json for r in site_cli.calls("POST") if r.path == EVENTS]
    keys = [c.pop("idempotencyKey") for c in creates]
    assert len({str(uuid.UUID(k)) for k in keys}) == 4  # a fresh key per event (#43)
    today = _today_in_lisbon()
    expected = []
    for weekday, start, end in [
        ("TUESDAY", "10:00", "16:00"),
        ("WEDNESDAY", "10:00", "16:00"),
        ("THURSDAY", "10:00", "16:00"),
        ("FRIDAY", "09:00", "12:00"),
    ]:
        day = next_weekday(today, weekday)
        expected.append(
            {
                "event": {
                    "scheduleId": host["schedule_id"],
                    "type": "WORKING_HOURS",
                    "start": {"localDate": f"{day}T{start}:00"},
                    "end": {"localDate": f"{day}T{end}:00"},
                    "timeZone": LISBON,
                    "recurrenceRule": {"frequency": "WEEKLY", "interval": 1, "days": [weekday]},
                    "externalScheduleId": host["resource_id"],
                    "resources": [{"id": host["resource_id"]}],
                    "appId": BOOKINGS_APP_ID,
                }
            }
        )
    assert creates == expected
    member = site_cli.fake.staff_members[host["staff_member_id"]]
    assert member["resource"]["usesDefaultWorkingHours"] is False
    assert member["revision"] == "2"
    assert "changed: the host no longer follows the business hours" in result.output
    assert "changed: added Tuesday 10:00-16:00 Europe/Lisbon" in result.output
    assert "works their own hours, Europe/Lisbon" in result.output


def test_show_lists_the_own_hours_in_the_hosts_zone(site_cli: SiteCli, host: dict[str, str]) -> None:
    site_cli.run(
        "hosts", "hours", "--email", EMAIL, "--set", "mon,wed 09:00-12:00 13:00-17:00", "--tz", LISBON
    )

    data = _hours(site_cli)

    assert site_cli.writes() == []
    assert data["source"] == "own"
    assert data["time_zone"] == LISBON
    assert _ranges(data) == [
        ("MONDAY", "09:00", "12:00", LISBON),
        ("MONDAY", "13:00", "17:00", LISBON),
        ("WEDNESDAY", "09:00", "12:00", LISBON),
        ("WEDNESDAY", "13:00", "17:00", LISBON),
    ]
    assert {r["event_id"] for r in data["hours"]} == {e["id"] for e in _own_events(site_cli, host)}
    assert data["changes"] == []


def test_the_same_hours_twice_write_nothing_the_second_time_and_say_so(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    first = site_cli.run("hosts", "hours", "--email", EMAIL, *TUE_THU, "--tz", LISBON)

    second = site_cli.run("hosts", "hours", "--email", EMAIL, *TUE_THU, "--tz", LISBON)
    as_json = _hours(site_cli, *TUE_THU)  # the zone of the current hours by default

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert site_cli.writes() == []
    assert "Nothing to change: the host already works these hours." in second.output
    assert as_json["changes"] == []
    assert len(_own_events(site_cli, host)) == 3


def test_hours_that_go_are_cancelled_monday_first_whatever_day_it_is_today(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    before = _hours(site_cli, "--set", "mon-sun 08:00-09:00", "--tz", LISBON)
    ids = {r["weekday"]: r["event_id"] for r in before["hours"]}

    _hours(site_cli, "--set", "mon 10:00-11:00")

    cancels = [path for method, path in site_cli.writes() if path.endswith("/cancel")]
    week = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
    assert cancels == [f"{EVENTS}/{ids[day]}/cancel" for day in week]  # Wix lists them by next occurrence


def test_new_hours_replace_the_old_ones_and_leave_what_stays_untouched(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    before = _hours(site_cli, *TUE_THU, "--tz", LISBON)
    ids = {r["weekday"]: r["event_id"] for r in before["hours"]}

    after = _hours(site_cli, "--set", "tue 10:00-16:00", "--set", "wed 09:00-12:00 13:00-17:00")

    writes = site_cli.writes()
    assert writes[:2] == [
        ("POST", f"{EVENTS}/{ids['WEDNESDAY']}/cancel"),
        ("POST", f"{EVENTS}/{ids['THURSDAY']}/cancel"),
    ]  # cancel what goes first, then create what comes (#45); no second assignment
    assert writes[2:] == [("POST", EVENTS), ("POST", EVENTS)]
    cancel = next(r for r in site_cli.calls() if r.path.endswith("/cancel"))
    assert cancel.json == {"participantNotification": {"notifyParticipants": False}}
    assert _ranges(after) == [
        ("TUESDAY", "10:00", "16:00", LISBON),
        ("WEDNESDAY", "09:00", "12:00", LISBON),
        ("WEDNESDAY", "13:00", "17:00", LISBON),
    ]
    assert after["hours"][0]["event_id"] == ids["TUESDAY"]
    events = fake_wix_hours.calendar_events(site_cli.fake)
    assert events[ids["TUESDAY"]]["revision"] == "1"  # untouched
    assert events[ids["THURSDAY"]]["status"] == "CANCELLED"
    assert [c for c in after["changes"] if c.startswith("removed")] == [
        f"removed Wednesday 10:00-16:00 Europe/Lisbon (event {ids['WEDNESDAY']})",
        f"removed Thursday 10:00-16:00 Europe/Lisbon (event {ids['THURSDAY']})",
    ]


def test_business_goes_back_to_the_business_hours_and_cancels_the_own_ones(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    own = _hours(site_cli, *TUE_THU, "--tz", LISBON)

    back = site_cli.run("hosts", "hours", "--email", EMAIL, "--business")
    again = site_cli.run("hosts", "hours", "--email", EMAIL, "--business")

    assert back.exit_code == 0, back.output
    assert "works the business hours" in back.output
    assert "Nothing to change" in again.output
    assert site_cli.writes() == []  # the second run
    business = fake_wix_hours.business_schedule_id(site_cli.fake)
    member = site_cli.fake.staff_members[host["staff_member_id"]]
    assert member["resource"]["workingHoursSchedules"] == [{"id": business, "shared": True}]
    assert member["resource"]["usesDefaultWorkingHours"] is True
    assert member["revision"] == "3"
    assert [e["status"] for e in _own_events(site_cli, host)] == ["CANCELLED"] * 3
    assign = [r for r in site_cli.fake.requests if r.path == _assign_path(host)]
    assert [r.json["scheduleId"] for r in assign] == [host["schedule_id"], business]
    schedules = [r for r in site_cli.fake.requests if r.path == "/calendar/v3/schedules/query"]
    assert schedules[-1].json["query"]["filter"] == {"externalId": BUSINESS_SCHEDULE_EXTERNAL_ID}
    cancels = [r.path for r in site_cli.fake.requests if r.path.endswith("/cancel")]
    assert cancels == [f"{EVENTS}/{r['event_id']}/cancel" for r in own["hours"]]


def test_days_off_are_added_listed_and_removed(site_cli: SiteCli, host: dict[str, str]) -> None:
    _hours(site_cli, *TUE_THU, "--tz", LISBON)
    first, last = _today_in_lisbon() + timedelta(days=20), _today_in_lisbon() + timedelta(days=22)
    dates = ("--from", str(first), "--to", str(last))

    added = site_cli.run("hosts", "off", "--email", EMAIL, *dates, "--reason", "Christmas")
    add_writes = site_cli.writes()
    create = next(r.json for r in site_cli.calls("POST") if r.path == EVENTS)
    again = site_cli.run("hosts", "off", "--email", EMAIL, *dates, "--reason", "Christmas")
    again_writes = site_cli.writes()
    listed = _hours(site_cli)

    assert added.exit_code == 0, added.output
    assert add_writes == [("POST", EVENTS)]
    create.pop("idempotencyKey")
    assert create == {
        "event": {
            "scheduleId": host["schedule_id"],
            "title": "Christmas",
            "start": {"localDate": f"{first}T00:00:00"},
            "end": {"localDate": f"{last + timedelta(days=1)}T00:00:00"},
            "timeZone": LISBON,
            "transparency": "OPAQUE",
            "allDay": True,
        }
    }
    assert again_writes == []
    assert "Nothing to change" in again.output
    [off] = listed["days_off"]
    assert (off["first_day"], off["last_day"], off["reason"], off["time_zone"]) == (
        str(first),
        str(last),
        "Christmas",
        LISBON,
    )
    assert off["event_id"] in added.output

    removed = site_cli.run("hosts", "off", "--email", EMAIL, "--remove", off["event_id"])
    remove_writes = site_cli.writes()
    twice = site_cli.run("hosts", "off", "--email", EMAIL, "--remove", off["event_id"], "--json")

    assert removed.exit_code == 0, removed.output
    assert remove_writes == [("POST", f"{EVENTS}/{off['event_id']}/cancel")]
    assert f"changed: removed the day off {first} to {last}" in removed.output
    assert twice.exit_code == 0, twice.output
    assert site_cli.writes() == []
    assert json.loads(twice.output)["changes"] == []
    assert _hours(site_cli)["days_off"] == []


def test_removing_what_is_not_a_day_off_of_the_host_is_bad_usage(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    own = _hours(site_cli, *TUE_THU, "--tz", LISBON)

    unknown = site_cli.run("hosts", "off", "--email", EMAIL, "--remove", "no-such-event")
    working_hours = site_cli.run("hosts", "off", "--email", EMAIL, "--remove", own["hours"][0]["event_id"])

    assert unknown.exit_code == 2
    assert "no day off no-such-event" in unknown.output
    assert working_hours.exit_code == 2
    assert "is not a day off of dana@example.com" in working_hours.output
    assert site_cli.writes() == []


def test_setup_with_hours_runs_the_whole_seed_flow_once(site_cli: SiteCli) -> None:
    site_cli.fake.add_contributor(EMAIL, name="Dana Host")
    args = ("hosts", "setup", "--email", EMAIL, "--name", "Dana Host", "--hours", "tue-thu 10:00-16:00")

    first = site_cli.run(*args, "--hours", "fri 09:00-12:00", "--tz", LISBON)
    writes = site_cli.writes()
    second = site_cli.run(*args, "--hours", "fri 09:00-12:00", "--tz", LISBON, "--json")

    assert first.exit_code == 0, first.output
    member = next(iter(site_cli.fake.staff_members.values()))
    assign = f"/bookings/v1/staff-members/{member['id']}/assign-working-hours-schedule"
    assert writes[-5:] == [("POST", assign)] + [("POST", EVENTS)] * 4
    assert ("POST", "/meetings/v1/provision-meetings-app") in writes
    assert "works their own hours, Europe/Lisbon" in first.output
    assert second.exit_code == 0, second.output
    assert site_cli.writes() == []
    data = json.loads(second.output)
    assert data["changes"] == []
    assert data["hours"]["source"] == "own"
    assert [(r["weekday"], r["start"], r["end"]) for r in data["hours"]["hours"]] == [
        ("TUESDAY", "10:00", "16:00"),
        ("WEDNESDAY", "10:00", "16:00"),
        ("THURSDAY", "10:00", "16:00"),
        ("FRIDAY", "09:00", "12:00"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "mon 09:00-12:00 11:00-13:00"), "Monday 09:00-12:00 overlaps 11:00-13:00"),
        (("--set", "mon 09:00-12:00, 11:00-13:00"), "Monday 09:00-12:00 overlaps 11:00-13:00"),
        (("--set", "mon-wed 09:00-12:00", "--set", "tue 11:30-14:00"), "Tuesday 09:00-12:00 overlaps"),
        (("--set", "fri 17:00-09:00"), "17:00-09:00 ends before it starts"),
        (("--set", "fri 09:00-09:00"), "ends before it starts"),
        (("--set", "mon 09:00-12:00", "--tz", "Mars/Olympus"), "--tz Mars/Olympus: not an IANA time zone"),
        (("--set", "moonday 09:00-12:00"), "unknown weekday 'moonday'"),
        (("--set", "mon 9-12"), "'9' is not a time of day"),
        (("--set", "mon"), "give days and at least one time range"),
        (("--tz", LISBON), "--tz goes with --set"),
        (("--business", "--set", "mon 09:00-12:00"), "--business goes alone"),
    ],
)
def test_bad_hours_are_bad_usage_before_any_wix_call(
    site_cli: SiteCli, host: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = site_cli.run("hosts", "hours", "--email", EMAIL, *args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert site_cli.calls() == []


def test_bad_setup_hours_are_bad_usage_before_any_wix_call(site_cli: SiteCli) -> None:
    site_cli.fake.add_contributor(EMAIL, name="Dana Host")

    result = site_cli.run("hosts", "setup", "--email", EMAIL, "--name", "D", "--hours", "sun 10:00-26:00")

    assert result.exit_code == 2
    assert "'26:00' is not a time of day" in result.output
    assert site_cli.calls() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2030-01-10", "--to", "2030-01-09"), "2030-01-09 is before 2030-01-10"),
        (("--from", "2020-01-10"), "2020-01-10 is in the past"),
        (("--from", "2030-01-10", "--reason", ""), "the reason must be 1 to 200 characters"),
        (("--remove", "x", "--from", "2030-01-10"), "--remove goes alone"),
        ((), "give --from DATE"),
    ],
)
def test_bad_days_off_are_bad_usage_and_write_nothing(
    site_cli: SiteCli, host: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = site_cli.run("hosts", "off", "--email", EMAIL, *args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert site_cli.writes() == []


def test_an_unknown_host_is_bad_usage(site_cli: SiteCli, host: dict[str, str]) -> None:
    shown = site_cli.run("hosts", "hours", "--email", "nobody@example.com")
    blocked = site_cli.run("hosts", "off", "--email", "nobody@example.com", "--from", "2030-01-10")

    assert (shown.exit_code, blocked.exit_code) == (2, 2)
    assert "no host with email nobody@example.com" in shown.output
    assert site_cli.writes() == []


def test_without_tz_new_hours_take_the_zone_of_the_hosts_events_schedule(
    site_cli: SiteCli, host: dict[str, str]
) -> None:
    data = _hours(site_cli, "--set", "mon 09:00-10:00")

    assert _ranges(data) == [("MONDAY", "09:00", "10:00", "UTC")]  # the fake's schedules are in UTC
    assert ("GET", f"/calendar/v3/schedules/{host['schedule_id']}") in [
        (r.method, r.path) for r in site_cli.calls()
    ]
