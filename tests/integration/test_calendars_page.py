"""GET /calendars/connected: what a host sees after OAuth, and what it records and changes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_calendars import GOOGLE_PROVIDER_ID, default_sync_config
from processor.store import connections, sites
from processor.store.db import utcnow
from processor.wix import WixClient
from tests.support.calendar_page import PUBLIC_BASE_URL, make_page_app

PAGE = "/calendars/connected"


@pytest.fixture
def host(fake_wix: FakeWix) -> dict[str, str]:
    """Dana, a host with an events schedule."""
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    return {"schedule_id": member["resource"]["eventsSchedule"]["id"]}


@pytest.fixture
def app(fake_wix: FakeWix, fake_wix_public_key_pem: str, tmp_path: Path) -> Flask:
    return make_page_app(fake_wix, fake_wix_public_key_pem, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _writes(fake: FakeWix) -> list[str]:
    return [r.path for r in fake.requests if r.method in ("PATCH", "POST")]


def test_a_good_connection_is_confirmed_recorded_and_import_turned_on(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(
        host["schedule_id"],
        status="CONNECTED",
        email="dana@gmail.example",
        sync_config=default_sync_config(import_enabled=False, export_enabled=True),
    )

    page = client.get(PAGE, query_string={"connectionId": connection["id"]})

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your Google Calendar is connected" in text
    assert "dana@gmail.example" in text
    [patch] = fake_wix.requests_to("/sync-config$", "PATCH")
    assert patch.json["syncConfig"]["listEventFromCalendars"]["enabled"] is True
    assert patch.json["syncConfig"]["syncToCalendar"]["enabled"] is True
    assert fake_wix.connections[connection["id"]]["syncConfig"]["listEventFromCalendars"]["enabled"] is True
    state = connections.connection_state(app.extensions["sessions"], connection["id"])
    assert state is not None
    assert state.status == "CONNECTED"
    assert state.instance_id == fake_wix.site_id
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_import_already_on_is_left_alone(
    client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"], status="SYNCED", email="dana@gmail.example")

    page = client.get(PAGE, query_string={"connectionId": connection["id"]})

    assert page.status_code == 200
    assert "in sync" in page.get_data(as_text=True)
    assert _writes(fake_wix) == []


def test_an_unknown_or_forged_connection_id_changes_nothing(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    page = client.get(PAGE, query_string={"connectionId": "Zm9yZ2Vk<script>"})

    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "We couldn&#39;t find this calendar connection" in text
    assert "nothing was changed" in text
    assert "<script>" not in text
    assert _writes(fake_wix) == []
    assert connections.connection_state(app.extensions["sessions"], "Zm9yZ2Vk<script>") is None


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("reject", "Access to your calendar was not granted"),
        ("unsupported", "doesn&#39;t support this kind of connection"),
        ("internal", "had a problem"),
        ("<b>odd</b>", "had a problem"),
    ],
)
def test_an_oauth_error_gets_a_page_in_plain_words(
    client: FlaskClient, fake_wix: FakeWix, error: str, words: str
) -> None:
    page = client.get(PAGE, query_string={"error": error})

    assert page.status_code == 400
    assert words in page.get_data(as_text=True)
    assert "<b>odd</b>" not in page.get_data(as_text=True)
    assert fake_wix.requests == []


def test_a_link_without_connection_id_is_a_400(client: FlaskClient, fake_wix: FakeWix) -> None:
    page = client.get(PAGE)

    assert page.status_code == 400
    assert "This link is incomplete" in page.get_data(as_text=True)
    assert fake_wix.requests == []


def test_everything_shown_is_escaped_and_no_secret_is_on_the_page(
    client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(
        host["schedule_id"], email='"><img src=x onerror=alert(1)>@x.example'
    )

    text = client.get(PAGE, query_string={"connectionId": connection["id"]}).get_data(as_text=True)

    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;@x.example" in text
    assert fake_wix.api_key not in text
    assert connection["id"] not in text


def test_wix_down_gets_a_try_again_page(client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    fake_wix.fail_next("/connections/", status=500)

    page = client.get(PAGE, query_string={"connectionId": connection["id"]})

    assert page.status_code == 502
    assert "reload this page in a minute" in page.get_data(as_text=True)


def test_the_full_oauth_round_trip_from_connect_to_page(
    client: FlaskClient, fake_wix: FakeWix, host: dict[str, str], wix_client: WixClient
) -> None:
    oauth_url = wix_client.calendars.connect_by_oauth(
        host["schedule_id"], GOOGLE_PROVIDER_ID, f"{PUBLIC_BASE_URL}{PAGE}"
    )
    consent = httpx.get(oauth_url, follow_redirects=False)
    back = urlsplit(consent.headers["location"])

    page = client.get(back.path, query_string=parse_qs(back.query))

    assert back.path == PAGE
    assert page.status_code == 200
    assert "Your Google Calendar is connected" in page.get_data(as_text=True)


class TestAppMode:
    """App mode: the redirect carries the site's instanceId, which must be an installed site."""

    @pytest.fixture
    def app(self, fake_wix: FakeWix, fake_wix_public_key_pem: str, tmp_path: Path) -> Flask:
        return make_page_app(fake_wix, fake_wix_public_key_pem, tmp_path, app_mode=True)

    def test_an_installed_site_is_served(
        self, app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
    ) -> None:
        sites.upsert_site(app.extensions["sessions"], fake_wix.instance_id, now=utcnow())
        connection = fake_wix.add_connection(host["schedule_id"], email="dana@gmail.example")

        query = {"instanceId": fake_wix.instance_id, "connectionId": connection["id"]}
        page = client.get(PAGE, query_string=query)

        assert page.status_code == 200
        assert "dana@gmail.example" in page.get_data(as_text=True)

    @pytest.mark.parametrize("instance_id", [None, "11111111-2222-4333-8444-555555555555"])
    def test_a_missing_or_unknown_site_is_a_404_without_calling_wix(
        self,
        app: Flask,
        client: FlaskClient,
        fake_wix: FakeWix,
        host: dict[str, str],
        instance_id: str | None,
    ) -> None:
        sites.upsert_site(app.extensions["sessions"], fake_wix.instance_id, now=utcnow())
        connection = fake_wix.add_connection(host["schedule_id"])
        query = {"connectionId": connection["id"], **({"instanceId": instance_id} if instance_id else {})}

        page = client.get(PAGE, query_string=query)

        assert page.status_code == 404
        assert fake_wix.requests == []


def test_api_key_mode_refuses_another_sites_instance_id(
    client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])

    page = client.get(PAGE, query_string={"connectionId": connection["id"], "instanceId": "someone-else"})

    assert page.status_code == 404
    assert fake_wix.requests == []
