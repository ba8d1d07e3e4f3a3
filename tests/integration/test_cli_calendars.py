"""`wix-meetings calendars providers|connect|status|sync` against the fake Wix API over HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from processor.devtools.fake_wix_calendars import APPLE_PROVIDER_ID, GOOGLE_PROVIDER_ID
from processor.meetings.oauth_state import OAuthState, read_state
from processor.store import sites
from processor.store.db import utcnow
from tests.support import cli_site
from tests.support.cli_site import PUBLIC_BASE_URL, SECRET_KEY, SiteCli

site_cli = cli_site.site_cli


@pytest.fixture
def seeded(site_cli: SiteCli) -> dict[str, str]:
    """Demo site: Dana with a synced Google calendar."""
    return site_cli.fake.seed_demo()


def test_providers_and_how_they_connect(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    table = site_cli.run("calendars", "providers")
    data = json.loads(site_cli.run("calendars", "providers", "--json").output)

    assert table.exit_code == 0
    assert "Google" in table.output
    assert "CREDENTIALS" in table.output
    assert {p["name"]: p["connect_methods"] for p in data}["Apple"] == ["CREDENTIALS"]


def test_connect_by_oauth_prints_the_url_with_our_return_page(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    result = site_cli.run("calendars", "connect", "--host", "dana@example.com", "--provider", "google")

    assert result.exit_code == 0, result.output
    [start] = site_cli.fake.requests_to("connections:connectByOAuth", "POST")
    assert start.raw_path.endswith("/connections:connectByOAuth")  # the colon is sent unencoded
    assert start.json["scheduleId"] == seeded["schedule_id"]
    assert start.json["providerId"] == GOOGLE_PROVIDER_ID
    state = _state_of(start.json["redirectUrl"])
    assert (state.instance_id, state.schedule_id) == (site_cli.fake.site_id, seeded["schedule_id"])
    assert "/fake-oauth/consent?state=" in result.output
    assert f"They come back to {PUBLIC_BASE_URL}/calendars/connected" in result.output
    assert "The link works once, until " in result.output


def _state_of(redirect_url: str) -> OAuthState:
    """The verified state in a return URL we gave Wix (the page's own check)."""
    page, query = redirect_url.split("?", 1)
    assert page == f"{PUBLIC_BASE_URL}/calendars/connected"
    assert list(parse_qs(query)) == ["state"]
    return read_state(SECRET_KEY, parse_qs(query)["state"][0], now=utcnow())


def test_each_connect_makes_a_new_single_use_state(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    for _ in range(2):
        site_cli.run("calendars", "connect", "--host", "dana@example.com", "--provider", "google")

    first, second = (_state_of(r.json["redirectUrl"]) for r in site_cli.fake.requests_to("connectByOAuth"))
    assert first.nonce != second.nonce


def _app_mode(site_cli: SiteCli) -> None:
    fake = site_cli.fake
    site_cli.env.update(
        WIX_API_KEY=None, WIX_SITE_ID=None, WIX_APP_ID=fake.app_id, WIX_APP_SECRET=fake.app_secret
    )


def test_connect_in_app_mode_binds_the_site_in_the_state(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    fake = site_cli.fake
    _app_mode(site_cli)
    sites.upsert_site(site_cli.sessions(), fake.instance_id, now=utcnow())

    result = site_cli.run(
        "calendars",
        "connect",
        "--host",
        "dana@example.com",
        "--provider",
        "Google",
        "--site",
        fake.instance_id,
    )

    assert result.exit_code == 0, result.output
    [start] = fake.requests_to("connections:connectByOAuth", "POST")
    assert "instanceId" not in start.json["redirectUrl"]
    assert _state_of(start.json["redirectUrl"]).instance_id == fake.instance_id
    assert fake.app_secret not in result.output


def test_app_mode_without_site_and_none_installed_is_bad_usage(site_cli: SiteCli) -> None:
    fake = site_cli.fake
    _app_mode(site_cli)

    result = site_cli.run("calendars", "providers")

    assert result.exit_code == 2
    assert "--site" in result.output
    assert fake.requests == []


def test_connect_by_credentials_reads_the_password_from_stdin(
    site_cli: SiteCli, seeded: dict[str, str]
) -> None:
    result = site_cli.run(
        "calendars",
        "connect",
        "--host",
        "dana@example.com",
        "--provider",
        "Apple",
        "--account-email",
        "dana@icloud.example",
        "--password-stdin",
        input="app-specific-pass\n",
    )

    assert result.exit_code == 0, result.output
    [call] = site_cli.fake.requests_to("connections:connectByCredentials", "POST")
    assert call.json["providerId"] == APPLE_PROVIDER_ID
    assert call.json["scheduleId"] == seeded["schedule_id"]
    assert call.json["email"] == "dana@icloud.example"
    assert "app-specific-pass" not in result.output
    assert any(c["externalAccountEmail"] == "dana@icloud.example" for c in site_cli.fake.connections.values())


def test_refused_credentials_exit_1_with_wixs_message(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run(
        "calendars", "connect", "--host", "dana@example.com", "--provider", "Apple",
        "--account-email", "dana@icloud.example", "--password-stdin", input="wrong\n",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "BAD_CREDENTIALS" in result.output
    assert "wrong" not in result.output.replace("BAD_CREDENTIALS", "")


def test_password_is_never_an_argument(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run(
        "calendars", "connect", "--host", "dana@example.com", "--provider", "Apple", "--password", "secret"
    )

    assert result.exit_code == 2
    assert site_cli.calls() == []


def test_oauth_on_a_credentials_provider_is_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("calendars", "connect", "--host", "dana@example.com", "--provider", "Apple")

    assert result.exit_code == 2
    assert "--account-email" in result.output
    assert site_cli.writes() == []


def test_unknown_provider_and_host_are_bad_usage(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    provider = site_cli.run("calendars", "connect", "--host", "dana@example.com", "--provider", "Yahoo")
    host = site_cli.run("calendars", "connect", "--host", "x@example.com", "--provider", "Google")

    assert provider.exit_code == 2
    assert "no calendar provider 'Yahoo'" in provider.output
    assert host.exit_code == 2
    assert "no host with email x@example.com" in host.output


def test_status_shows_status_and_error_reason(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.set_connection_status(seeded["connection_id"], "ERROR", "TOKEN_REVOKED")

    table = site_cli.run("calendars", "status")
    [host] = json.loads(site_cli.run("calendars", "status", "--host", "dana@example.com", "--json").output)

    assert table.exit_code == 0
    assert "ERROR" in table.output
    assert "TOKEN_REVOKED" in table.output
    assert host["calendars"][0]["error_reason"] == "TOKEN_REVOKED"
    [listing] = [r for r in site_cli.calls("GET") if r.path.endswith("/external-calendars/connections")]
    assert listing.query["scheduleIds"] == [seeded["schedule_id"]]


def test_status_without_premium_exits_1_with_the_reason(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.set_premium(False)

    result = site_cli.run("calendars", "status")

    assert result.exit_code == 1
    assert "PREMIUM_FEATURE_NOT_ENABLED" in result.output


def test_sync_turns_export_off_keeping_import(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("calendars", "sync", "--host", "dana@example.com", "--export", "off")

    assert result.exit_code == 0, result.output
    [patch] = site_cli.fake.requests_to("/sync-config$", "PATCH")
    assert patch.path.endswith(f"/connections/{seeded['connection_id']}/sync-config")
    assert patch.json == {
        "syncConfig": {
            "listEventFromCalendars": {"enabled": True, "primaryCalendar": {}},
            "syncToCalendar": {"enabled": False, "primaryCalendar": {}},
        }
    }
    assert "import on, export off" in result.output


def test_sync_already_so_writes_nothing(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    result = site_cli.run("calendars", "sync", "--host", "dana@example.com", "--import", "on")

    assert result.exit_code == 0
    assert site_cli.writes() == []


def test_sync_needs_a_direction_and_a_connected_calendar(site_cli: SiteCli, seeded: dict[str, str]) -> None:
    site_cli.fake.add_staff_member("Sam", "sam@example.com")

    nothing = site_cli.run("calendars", "sync", "--host", "dana@example.com")
    unconnected = site_cli.run("calendars", "sync", "--host", "sam@example.com", "--import", "off")

    assert nothing.exit_code == 2
    assert unconnected.exit_code == 1
    assert "no connected calendar" in unconnected.output
