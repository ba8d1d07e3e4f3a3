"""`wix-meetings hosts setup|list` against the fake Wix API over HTTP."""

from __future__ import annotations

import json

from processor.wix import MEETINGS_APP_ID
from tests.support import cli_site
from tests.support.cli_site import SiteCli

site_cli = cli_site.site_cli

EMAIL = "dana@example.com"


def test_setup_provisions_meetings_creates_and_connects_the_host_and_puts_them_on_the_link(
    site_cli: SiteCli,
) -> None:
    site_cli.fake.add_contributor(EMAIL, name="Dana Host")

    result = site_cli.run("hosts", "setup", "--email", EMAIL, "--name", "Dana Host", "--duration", "45")

    assert result.exit_code == 0, result.output
    calls = [(r.method, r.path) for r in site_cli.calls()]
    assert calls[:4] == [
        ("GET", "/roles-management/v2/contributors/query"),
        ("POST", "/bookings/v2/services/query"),
        ("POST", "/meetings/v1/provision-meetings-app"),
        ("POST", "/bookings/v2/services/query"),
    ]
    query = site_cli.calls()[1].json
    assert query["query"]["filter"] == {"appId": MEETINGS_APP_ID}
    create = next(
        r for r in site_cli.calls() if r.path == "/bookings/v1/staff-members" and r.method == "POST"
    )
    assert create.json["staffMember"] == {"name": "Dana Host", "email": EMAIL}
    connect = next(r for r in site_cli.calls() if r.path.endswith("/connect-staff-member-to-user"))
    assert connect.json["email"] == EMAIL
    service_id, service = next(iter(site_cli.fake.services.items()))
    member = next(iter(site_cli.fake.staff_members.values()))
    get_then_patch = [(r.method, r.path) for r in site_cli.calls()][-2:]
    assert get_then_patch == [
        ("GET", f"/bookings/v2/services/{service_id}"),
        ("PATCH", f"/_api/bookings/v2/services/{service_id}"),
    ]
    patch = site_cli.calls("PATCH")[0].json["service"]
    assert patch["revision"] == "1"
    assert patch["schedule"]["availabilityConstraints"]["sessionDurations"] == [45]
    assert patch["schedule"]["id"] == service["schedule"]["id"]  # the touched object goes whole
    assert patch["staffMemberIds"] == [member["resourceId"]]
    assert service["staffMemberIds"] == [member["resourceId"]]
    assert member["associatedWixIdentity"]["connection"]["status"] == "CONNECTED"
    assert service["urls"]["bookingPage"]["url"] in result.output
    assert "▄" in result.output or "█" in result.output  # the QR code


def test_second_setup_finds_everything_and_writes_nothing(site_cli: SiteCli) -> None:
    site_cli.fake.add_contributor(EMAIL, name="Dana Host")
    first = site_cli.run("hosts", "setup", "--email", EMAIL, "--name", "Dana Host", "--duration", "45")

    second = site_cli.run("hosts", "setup", "--email", EMAIL, "--name", "Dana Host", "--duration", "45")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert site_cli.writes() == []
    assert "Nothing to change" in second.output
    assert len(site_cli.fake.staff_members) == 1
    assert next(iter(site_cli.fake.services.values()))["revision"] == "2"


def test_setup_json_reports_ids_url_and_changes(site_cli: SiteCli) -> None:
    site_cli.fake.add_contributor(EMAIL, name="Dana Host")

    result = site_cli.run("hosts", "setup", "--email", EMAIL, "--name", "Dana Host", "--json")

    data = json.loads(result.output)
    member = next(iter(site_cli.fake.staff_members.values()))
    assert data["staff_member_id"] == member["id"]
    assert data["resource_id"] == member["resourceId"]
    assert data["booking_page_url"].startswith("https://")
    assert data["duration_minutes"] == 30
    assert "provisioned Wix Meetings on the site" in data["changes"]


def test_setup_of_someone_who_is_not_a_site_collaborator_is_bad_usage_and_writes_nothing(
    site_cli: SiteCli,
) -> None:
    result = site_cli.run("hosts", "setup", "--email", "stranger@example.com", "--name", "S")

    assert result.exit_code == 2
    assert "no site collaborator with email stranger@example.com" in result.output
    assert site_cli.writes() == []


def test_missing_wix_credentials_exit_2_naming_the_settings(site_cli: SiteCli) -> None:
    site_cli.env.update(WIX_API_KEY=None, WIX_SITE_ID=None)

    result = site_cli.run("hosts", "list")

    assert result.exit_code == 2
    assert "WIX_API_KEY" in result.output
    assert "WIX_SITE_ID" in result.output
    assert "WIX_APP_ID" in result.output
    assert "WIX_APP_SECRET" in result.output
    assert site_cli.calls() == []


def test_half_configured_api_key_names_the_missing_setting(site_cli: SiteCli) -> None:
    site_cli.env.update(WIX_SITE_ID=None)

    result = site_cli.run("hosts", "list")

    assert result.exit_code == 2
    assert "WIX_SITE_ID" in result.output
    assert site_cli.fake.api_key not in result.output


def test_list_shows_hosts_with_links_and_calendar_status(site_cli: SiteCli) -> None:
    seeded = site_cli.fake.seed_demo()

    table = site_cli.run("hosts", "list")
    as_json = site_cli.run("hosts", "list", "--json")

    assert table.exit_code == 0, table.output
    assert "dana@example.com" in table.output
    assert "Meeting (on)" in table.output
    assert "GOOGLE SYNCED" in table.output
    [host] = json.loads(as_json.output)
    assert host["staff_member_id"] == seeded["staff_member_id"]
    assert host["links"][0]["service_id"] == seeded["service_id"]
    assert host["calendars"][0]["connection_id"] == seeded["connection_id"]
    assert host["calendars"][0]["status"] == "SYNCED"


def test_list_shows_a_broken_calendar_with_its_reason(site_cli: SiteCli) -> None:
    seeded = site_cli.fake.seed_demo()
    site_cli.fake.set_connection_status(seeded["connection_id"], "ERROR", "TOKEN_REVOKED")

    result = site_cli.run("hosts", "list")

    assert "GOOGLE ERROR (TOKEN_REVOKED)" in result.output


def test_list_without_a_premium_plan_still_lists_hosts_and_says_why_calendars_are_missing(
    site_cli: SiteCli,
) -> None:
    site_cli.fake.seed_demo()
    site_cli.fake.set_premium(False)

    result = site_cli.run("hosts", "list")

    assert result.exit_code == 0
    assert "dana@example.com" in result.output
    assert "PREMIUM_FEATURE_NOT_ENABLED" in result.output


def test_no_secret_is_printed(site_cli: SiteCli) -> None:
    site_cli.fake.seed_demo()
    site_cli.fake.fail_next("/bookings/v1/staff-members/query", status=403)

    result = site_cli.run("hosts", "list")

    assert result.exit_code == 1
    assert "Wix refused" in result.output
    assert site_cli.fake.api_key not in result.output
