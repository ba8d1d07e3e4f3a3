"""`wix-meetings links …` against the fake Wix API over HTTP."""

from __future__ import annotations

import json

import pytest

from processor.store import paused_links
from processor.wix import MEETINGS_APP_ID
from tests.support import cli_site
from tests.support.cli_site import SiteCli

site_cli = cli_site.site_cli


@pytest.fixture
def seeded(site_cli: SiteCli) -> dict[str, str]:
    """The fake's demo site: default Meetings link with Dana as host, a paid booking, a calendar."""
    return site_cli.fake.seed_demo()


def test_create_sends_the_meetings_field_values(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run(
        "links", "create", "--name", "Deep dive", "--duration", "60", "--host", "dana@example.com"
    )

    assert result.exit_code == 0, result.output
    [create] = [r for r in site_cli.calls("POST") if r.path == "/bookings/v2/services"]
    service = create.json["service"]
    default = site_cli.fake.services[seeded["service_id"]]
    assert service["type"] == "APPOINTMENT"
    assert service["appId"] == MEETINGS_APP_ID
    assert service["payment"] is None
    assert len(service["locations"]) == 1
    assert service["staffMemberIds"] == [seeded["resource_id"]]
    assert service["schedule"]["availabilityConstraints"]["sessionDurations"] == [60]
    assert service["onlineBooking"]["enabled"] is True
    assert service["form"]["id"] == default["form"]["id"]
    assert service["bookingPolicy"]["id"] == default["bookingPolicy"]["id"]
    assert "booking page:" in result.output
    assert "/booking-calendar/deep-dive" in result.output


def test_create_without_host_uses_the_only_host(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("links", "create", "--name", "Quick chat", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hosts"] == ["dana@example.com"]


def test_create_needs_a_host_when_there_are_several(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.add_staff_member("Sam", "sam@example.com")

    result = site_cli.run("links", "create", "--name", "Quick chat")

    assert result.exit_code == 2
    assert "--host" in result.output
    assert site_cli.writes() == []


def test_create_with_an_unknown_host_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("links", "create", "--name", "X", "--host", "nobody@example.com")

    assert result.exit_code == 2
    assert "no host with email nobody@example.com" in result.output


def test_price_with_deposit_sends_the_schema_form_at_the_current_revision(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    service_id = seeded["service_id"]
    revision = site_cli.fake.services[service_id]["revision"]

    result = site_cli.run(
        "links", "price", service_id, "--amount", "50", "--currency", "usd", "--deposit", "10"
    )

    assert result.exit_code == 0, result.output
    assert [(r.method, r.path) for r in site_cli.calls() if "/services/" in r.path][-2:] == [
        ("GET", f"/bookings/v2/services/{service_id}"),
        ("PATCH", f"/_api/bookings/v2/services/{service_id}"),
    ]
    patch = site_cli.calls("PATCH")[0].json["service"]
    assert patch == {
        "payment": {
            "rateType": "FIXED",
            "fixed": {
                "price": {"value": "50.00", "currency": "USD"},
                "deposit": {"value": "10.00", "currency": "USD"},
            },
            "options": {"online": True, "inPerson": False, "deposit": True},
        },
        "id": service_id,
        "revision": revision,
    }
    assert "50.00 USD (deposit 10.00)" in result.output


def test_pricing_twice_writes_once(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    args = ("links", "price", seeded["service_id"], "--amount", "49.90", "--currency", "USD")
    site_cli.run(*args)

    again = site_cli.run(*args)

    assert again.exit_code == 0
    assert "Nothing to change" in again.output
    assert site_cli.writes() == []


def test_free_makes_the_link_free(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    service_id = seeded["service_id"]
    site_cli.run("links", "price", service_id, "--amount", "50", "--currency", "USD")

    result = site_cli.run("links", "price", service_id, "--free", "--json")

    assert json.loads(result.output)["price"] is None
    patch = site_cli.calls("PATCH")[0].json["service"]
    assert patch["payment"]["rateType"] == "NO_FEE"
    assert patch["payment"]["options"]["online"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--amount", "50"), "--amount needs --currency"),
        (("--amount", "-5", "--currency", "USD"), "positive amount"),
        (("--amount", "5.999", "--currency", "USD"), "at most 2 decimals"),
        (("--amount", "50", "--currency", "USD", "--free"), "or --free"),
        ((), "or --free"),
    ],
)
def test_price_bad_usage_exits_2_before_calling_wix(
    site_cli: SiteCli, seeded: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = site_cli.run("links", "price", seeded["service_id"], *args)

    assert result.exit_code == 2
    assert message in result.output
    assert site_cli.calls() == []


def test_deposit_not_below_the_price_is_refused(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run(
        "links", "price", seeded["service_id"], "--amount", "50", "--currency", "USD", "--deposit", "50"
    )

    assert result.exit_code == 1
    assert "deposit" in result.output
    assert site_cli.writes() == []


def test_wix_validation_refusal_exits_1_with_its_message(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.fail_next(r"/_api/bookings/v2/services/", status=400)

    result = site_cli.run("links", "price", seeded["service_id"], "--amount", "50", "--currency", "USD")

    assert result.exit_code == 1
    assert "Wix refused" in result.output
    assert "400" in result.output


def test_stale_revision_is_re_read_and_retried(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.fail_next(r"/_api/bookings/v2/services/", status=409)

    result = site_cli.run("links", "price", seeded["service_id"], "--amount", "50", "--currency", "USD")

    assert result.exit_code == 0, result.output
    assert [r.method for r in site_cli.calls() if "services/" in r.path][-4:] == [
        "GET",
        "PATCH",
        "GET",
        "PATCH",
    ]


def test_list_and_show(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    listed = site_cli.run("links", "list")
    shown = site_cli.run("links", "show", seeded["service_id"], "--json")

    assert listed.exit_code == 0
    assert seeded["service_id"] in listed.output
    assert "dana@example.com" in listed.output
    data = json.loads(shown.output)
    assert data["service_id"] == seeded["service_id"]
    assert data["active"] is True
    assert (
        data["booking_page_url"] == site_cli.fake.services[seeded["service_id"]]["urls"]["bookingPage"]["url"]
    )


def test_show_of_an_unknown_id_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("links", "show", "00000000-0000-4000-8000-000000000000")

    assert result.exit_code == 2
    assert "no scheduling link" in result.output


def test_show_of_another_apps_service_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    other = site_cli.fake.add_service("Haircut", app_id="13d21c63-b5ec-5912-8397-c3a5ddb27a97")

    result = site_cli.run("links", "show", other["id"])

    assert result.exit_code == 2
    assert "not a Wix Meetings scheduling link" in result.output


def test_deactivate_with_redirect_then_activate(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    service_id = seeded["service_id"]
    redirect = "https://example.com/away"

    off = site_cli.run("links", "deactivate", service_id, "--redirect", redirect)
    off_patch = site_cli.calls("PATCH")[0].json["service"]
    on = site_cli.run("links", "activate", service_id, "--json")
    on_patch = site_cli.calls("PATCH")[0].json["service"]

    assert off.exit_code == 0, off.output
    assert "Online booking is now off" in off.output
    assert off_patch["revision"] == "1"
    assert off_patch["onlineBooking"]["enabled"] is False
    assert (
        off_patch["extendedFields"]["namespaces"]["@services/meetings"]["deactivatedRedirectUrl"] == redirect
    )
    assert on_patch["revision"] == "2"
    assert on_patch["onlineBooking"]["enabled"] is True
    data = json.loads(on.output)
    assert data["active"] is True
    assert data["changed"] is True
    assert site_cli.fake.services[service_id]["onlineBooking"]["enabled"] is True


def test_deactivating_an_inactive_link_changes_nothing(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.run("links", "deactivate", seeded["service_id"])

    again = site_cli.run("links", "deactivate", seeded["service_id"])

    assert again.exit_code == 0
    assert "Nothing to change" in again.output
    assert site_cli.writes() == []


def test_a_person_deactivating_forgets_the_processors_record_of_it(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    from processor.store.db import utcnow

    sessions = site_cli.sessions()
    paused_links.record_deactivated_link(
        sessions,
        seeded["service_id"],
        instance_id=site_cli.fake.site_id,
        now=utcnow(),
        reason="calendar broke",
    )

    result = site_cli.run("links", "activate", seeded["service_id"])

    assert result.exit_code == 0
    assert paused_links.deactivated_links(sessions, instance_id=site_cli.fake.site_id) == []


def test_deactivate_with_a_bad_redirect_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("links", "deactivate", seeded["service_id"], "--redirect", "javascript:alert(1)")

    assert result.exit_code == 2
    assert site_cli.calls() == []


@pytest.mark.parametrize("command", ["show", "activate", "deactivate"])
def test_an_id_with_path_characters_stays_one_segment_and_is_bad_usage(
    site_cli: SiteCli, seeded: dict[str, str], command: str
) -> None:
    result = site_cli.run("links", command, "../../../../stores/v1/orders?x=1")

    assert result.exit_code == 2, result.output
    assert [r.raw_path for r in site_cli.calls()] == [
        "/bookings/v2/services/..%2F..%2F..%2F..%2Fstores%2Fv1%2Forders%3Fx%3D1"
    ]


@pytest.mark.parametrize("bad_id", ["..", "a\tb"])
def test_an_id_that_cannot_be_a_wix_id_is_bad_usage_without_a_call(
    site_cli: SiteCli, seeded: dict[str, str], bad_id: str
) -> None:
    result = site_cli.run("links", "show", bad_id)

    assert result.exit_code == 2, result.output
    assert site_cli.calls() == []
