"""`wix-meetings bookings slots` before and after the host gets their own hours and a day off."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

from processor.devtools import fake_wix_hours
from processor.wix.calendar_events import WEEKDAYS
from tests.support import cli_site
from tests.support.cli_site import SiteCli

site_cli = cli_site.site_cli


def _seed(site_cli: SiteCli) -> tuple[dict[str, str], date]:
    """Demo site (Europe/Paris booking a week ahead); the day after the booking."""
    seeded = site_cli.fake.seed_demo()
    booking = site_cli.fake.bookings[seeded["booking_id"]]
    return seeded, date.fromisoformat(booking["bookedEntity"]["slot"]["startDate"][:10]) + timedelta(days=1)


def _slot_starts(site_cli: SiteCli, booking_id: str, first: date, last: date) -> list[str]:
    result = site_cli.run("bookings", "slots", booking_id, "--from", str(first), "--to", str(last), "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line)["start"] for line in result.output.splitlines()]


def test_slots_show_only_the_hosts_own_hours_once_set(site_cli: SiteCli) -> None:
    seeded, day = _seed(site_cli)
    before = _slot_starts(site_cli, seeded["booking_id"], day, day)
    weekday = WEEKDAYS[day.weekday()]

    fake_wix_hours.add_working_hours(
        site_cli.fake, seeded["staff_member_id"], weekday, time(10), time(12), "Europe/Lisbon"
    )
    after = _slot_starts(site_cli, seeded["booking_id"], day, day + timedelta(days=1))

    assert before[0] == f"{day}T09:00:00"
    assert len(before) == 16  # 09:00-17:00 Paris, 30 minutes each
    # 10:00-12:00 in Lisbon is 11:00-13:00 in Paris, the booking's zone; the next day has no hours
    assert after == [f"{day}T11:00:00", f"{day}T11:30:00", f"{day}T12:00:00", f"{day}T12:30:00"]


def test_a_day_off_empties_the_slots_of_that_day(site_cli: SiteCli) -> None:
    seeded, day = _seed(site_cli)

    fake_wix_hours.add_day_off(site_cli.fake, seeded["staff_member_id"], day, day, "Europe/Paris")
    result = site_cli.run("bookings", "slots", seeded["booking_id"], "--from", str(day), "--to", str(day))

    assert result.exit_code == 0, result.output
    assert "(no free slots in this range)" in result.output


def test_slots_follow_hours_set_with_hosts_hours_and_a_day_off_from_hosts_off(site_cli: SiteCli) -> None:
    seeded, day = _seed(site_cli)
    before = _slot_starts(site_cli, seeded["booking_id"], day, day + timedelta(days=1))
    weekday = WEEKDAYS[day.weekday()][:3].lower()

    hours = site_cli.run(
        "hosts",
        "hours",
        "--email",
        "dana@example.com",
        "--set",
        f"{weekday} 10:00-12:00",
        "--tz",
        "Europe/Lisbon",
    )
    after = _slot_starts(site_cli, seeded["booking_id"], day, day + timedelta(days=1))
    off = site_cli.run("hosts", "off", "--email", "dana@example.com", "--from", str(day))
    on_the_day_off = _slot_starts(site_cli, seeded["booking_id"], day, day + timedelta(days=1))

    assert hours.exit_code == 0, hours.output
    assert off.exit_code == 0, off.output
    assert len(before) == 32  # two days of 09:00-17:00 Paris on the business hours
    # 10:00-12:00 in Lisbon is 11:00-13:00 in Paris, the booking's zone; the next day has no hours
    assert after == [f"{day}T11:00:00", f"{day}T11:30:00", f"{day}T12:00:00", f"{day}T12:30:00"]
    assert on_the_day_off == []
