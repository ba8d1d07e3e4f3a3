"""`wix-meetings bookings …` against the fake Wix API over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli_site
from tests.support.cli_site import SiteCli

site_cli = cli_site.site_cli
BOOKING_QUERY = "/_api/bookings-reader/v2/extended-bookings/query"


@pytest.fixture
def seeded(site_cli: SiteCli) -> dict[str, str]:
    """Demo site: Dana hosts the default link; a paid (50.00) booking a week ahead, Europe/Paris."""
    return site_cli.fake.seed_demo()


def _booking(site_cli: SiteCli, seeded: dict[str, str]) -> dict[str, Any]:
    return site_cli.fake.bookings[seeded["booking_id"]]


def _day_of(booking: dict[str, Any]) -> date:
    return date.fromisoformat(booking["bookedEntity"]["slot"]["startDate"][:10])


def test_list_shows_upcoming_meetings_in_local_time(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    booking = _booking(site_cli, seeded)

    table = site_cli.run("bookings", "list")
    lines = site_cli.run("bookings", "list", "--json")

    assert table.exit_code == 0, table.output
    assert seeded["booking_id"] in table.output
    assert booking["bookedEntity"]["slot"]["startDate"][:16] in table.output
    assert "Europe/Paris" in table.output
    [row] = [json.loads(line) for line in lines.output.splitlines()]
    assert row["booking_id"] == seeded["booking_id"]
    assert row["host"] == "dana@example.com"
    assert row["attendee"] == "Lee <lee@example.com>"
    query = site_cli.calls("POST")[-1]
    assert query.path == BOOKING_QUERY
    assert list(query.json["query"]["filter"]) == ["startDate"]  # one filter per query


def test_list_filters_by_host_and_dates(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.add_staff_member("Sam", "sam@example.com")
    day = _day_of(_booking(site_cli, seeded))

    dana = site_cli.run("bookings", "list", "--host", "dana@example.com", "--json")
    sam = site_cli.run("bookings", "list", "--host", "sam@example.com", "--json")
    before = site_cli.run(
        "bookings", "list", "--from", str(day - timedelta(3)), "--to", str(day - timedelta(2))
    )

    assert len(dana.output.splitlines()) == 1
    assert sam.output == ""
    assert "(no bookings in this range)" in before.output
    assert site_cli.calls("POST")[-1].json["query"]["filter"]["startDate"]["$lt"].endswith("T00:00:00.000Z")


def test_show_and_unknown_id(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    shown = site_cli.run("bookings", "show", seeded["booking_id"], "--json")
    unknown = site_cli.run("bookings", "show", "no-such-booking")

    data = json.loads(shown.output)
    assert data["status"] == "CONFIRMED"
    assert data["payment_status"] == "PAID"
    assert data["can_reschedule"] is True
    assert data["order_id"] == seeded["order_id"]
    assert unknown.exit_code == 2
    assert "no booking with id no-such-booking" in unknown.output


def test_slots_are_listed_in_the_bookings_time_zone(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    day = _day_of(_booking(site_cli, seeded)) + timedelta(days=1)

    result = site_cli.run("bookings", "slots", seeded["booking_id"], "--from", str(day), "--to", str(day))

    assert result.exit_code == 0, result.output
    [request] = [r for r in site_cli.calls() if r.path == "/_api/service-availability/v2/time-slots"]
    assert request.json == {
        "serviceId": seeded["service_id"],
        "fromLocalDate": f"{day}T00:00:00",
        "toLocalDate": f"{day + timedelta(days=1)}T00:00:00",
        "timeZone": "Europe/Paris",
    }
    assert f"{day}T09:00:00" in result.output
    assert "Europe/Paris" in result.output


def test_slots_bad_range_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run(
        "bookings", "slots", seeded["booking_id"], "--from", "2026-05-02", "--to", "2026-05-01"
    )

    assert result.exit_code == 2
    assert site_cli.calls() == []


def test_reschedule_rechecks_the_slot_then_moves_with_the_current_revision(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    booking = _booking(site_cli, seeded)
    day = _day_of(booking) + timedelta(days=1)

    result = site_cli.run("bookings", "reschedule", seeded["booking_id"], "--slot", f"{day}T10:00:00")

    assert result.exit_code == 0, result.output
    paths = [r.path for r in site_cli.calls()]
    assert paths == [
        BOOKING_QUERY,
        f"/bookings/v2/services/{seeded['service_id']}",
        "/_api/service-availability/v2/time-slots/get",
        f"/_api/bookings-service/v2/bookings/{seeded['booking_id']}/reschedule",
    ]
    check, move = site_cli.calls()[2].json, site_cli.calls()[3].json
    assert check == {
        "serviceId": seeded["service_id"],
        "localStartDate": f"{day}T10:00:00",
        "localEndDate": f"{day}T10:30:00",
        "timeZone": "Europe/Paris",
    }
    assert move["revision"] == "1"
    assert move["slot"] == {
        "serviceId": seeded["service_id"],
        "scheduleId": site_cli.fake.services[seeded["service_id"]]["schedule"]["id"],
        "startDate": f"{day}T10:00:00",
        "endDate": f"{day}T10:30:00",
        "timezone": "Europe/Paris",
        "resource": {"id": seeded["resource_id"], "name": "Dana Host"},
        "location": {"locationType": "OWNER_BUSINESS"},
    }
    moved = _booking(site_cli, seeded)
    assert moved["revision"] == "2"
    assert moved["bookedEntity"]["slot"]["startDate"].startswith(f"{day}T10:00:00")
    assert "revision 2" in result.output


def test_reschedule_to_a_time_with_no_slot_is_refused_without_writing(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    day = _day_of(_booking(site_cli, seeded)) + timedelta(days=1)

    result = site_cli.run("bookings", "reschedule", seeded["booking_id"], "--slot", f"{day}T03:00:00")

    assert result.exit_code == 1
    assert "no slot starts at" in result.output
    assert not any(r.path.endswith("/reschedule") for r in site_cli.calls())


def test_reschedule_with_a_malformed_slot_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("bookings", "reschedule", seeded["booking_id"], "--slot", "tomorrow at ten")

    assert result.exit_code == 2
    assert site_cli.calls() == []


def test_cancel_with_refund_cancels_at_the_revision_and_refunds_once(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    first = site_cli.run("bookings", "cancel", seeded["booking_id"], "--refund")
    cancel_calls = [r for r in site_cli.calls() if r.path.endswith("/cancel")]
    second = site_cli.run("bookings", "cancel", seeded["booking_id"], "--refund", "--json")

    assert first.exit_code == 0, first.output
    assert cancel_calls[0].path == f"/_api/bookings-service/v2/bookings/{seeded['booking_id']}/cancel"
    assert cancel_calls[0].json["revision"] == "1"
    assert "Refund: refunded 50.00 USD" in first.output
    assert _booking(site_cli, seeded)["status"] == "CANCELED"
    assert len(site_cli.fake.refunds) == 1
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert data["already_canceled"] is True
    assert data["refund"]["status"] == "already_refunded"
    assert not any(r.path.endswith(("/cancel", "/refund-payments")) for r in site_cli.calls())
    assert len(site_cli.fake.refunds) == 1


def test_cancel_without_refund_leaves_the_payment(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("bookings", "cancel", seeded["booking_id"])

    assert result.exit_code == 0
    assert "is canceled" in result.output
    assert site_cli.fake.refunds == []
    assert not any("/ecom/" in r.path for r in site_cli.calls())


def test_cancel_refused_by_wix_exits_1_with_its_message(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.fail_next(r"/cancel$", status=403)

    result = site_cli.run("bookings", "cancel", seeded["booking_id"], "--refund")

    assert result.exit_code == 1
    assert "Wix refused (missing permission or premium plan)" in result.output
    assert site_cli.fake.refunds == []


def test_console_script_runs_from_any_directory(
    site_cli: SiteCli, seeded: dict[str, str], tmp_path: Path
) -> None:
    script = Path(sys.executable).with_name("wix-meetings")
    env = {k: v for k, v in {**os.environ, **site_cli.env}.items() if v is not None}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )

    done = run("bookings", "list", "--json")
    missing = run("bookings", "show", "nope")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["booking_id"] == seeded["booking_id"]
    assert missing.returncode == 2
    assert "no booking with id nope" in missing.stderr
