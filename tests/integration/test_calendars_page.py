"""GET /calendars/connected: what a host sees after OAuth, what it records and changes, and what it
refuses (no signed state, a forged, expired, used or foreign one) without calling Wix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_calendars import default_sync_config
from processor.meetings.calendars import connect_oauth
from processor.store import connections, sites
from processor.store.db import utcnow
from processor.store.ledger import Ledger
from processor.wix import WixClient
from tests.support.calendar_page import PUBLIC_BASE_URL, SECRET_KEY, make_page_app, signed_state

PAGE = "/calendars/connected"


@pytest.fixture
def host(fake_wix: FakeWix) -> dict[str, str]:
    """Dana, a host with an events schedule."""
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    return {"schedule_id": member["resource"]["eventsSchedule"]["id"]}


@pytest.fixture
def other_host(fake_wix: FakeWix) -> dict[str, str]:
    """Sam, another host of the same site."""
    member = fake_wix.add_staff_member("Sam Host", "sam@example.com")
    return {"schedule_id": member["resource"]["eventsSchedule"]["id"]}


@pytest.fixture
def app(fake_wix: FakeWix, fake_wix_public_key_pem: str, tmp_path: Path) -> Flask:
    return make_page_app(fake_wix, fake_wix_public_key_pem, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _return(
    app: Flask, fake: FakeWix, schedule_id: str, connection_id: str | None, **state: Any
) -> dict[str, str]:
    """The query Wix's redirect brings: our state for this host's schedule, then connectionId."""
    settings = app.extensions["settings"]
    query = {"state": signed_state(settings, schedule_id, state.pop("instance_id", fake.site_id), **state)}
    return {**query, **({"connectionId": connection_id} if connection_id is not None else {})}


def _writes(fake: FakeWix) -> list[str]:
    return [r.path for r in fake.requests if r.method in ("PATCH", "POST")]


def _recorded(app: Flask, connection_id: str) -> Any:
    return connections.connection_state(app.extensions["sessions"], connection_id)


def test_a_good_connection_is_confirmed_recorded_and_import_turned_on(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(
        host["schedule_id"],
        status="CONNECTED",
        email="dana@gmail.example",
        sync_config=default_sync_config(import_enabled=False, export_enabled=True),
    )

    page = client.get(PAGE, query_string=_return(app, fake_wix, host["schedule_id"], connection["id"]))

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your Google Calendar is connected" in text
    assert "dana@gmail.example" in text
    [patch] = fake_wix.requests_to("/sync-config$", "PATCH")
    assert patch.json["syncConfig"]["listEventFromCalendars"]["enabled"] is True
    assert patch.json["syncConfig"]["syncToCalendar"]["enabled"] is True
    assert fake_wix.connections[connection["id"]]["syncConfig"]["listEventFromCalendars"]["enabled"] is True
    state = _recorded(app, connection["id"])
    assert state is not None
    assert state.status == "CONNECTED"
    assert state.instance_id == fake_wix.site_id
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_import_already_on_is_left_alone(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"], status="SYNCED", email="dana@gmail.example")

    page = client.get(PAGE, query_string=_return(app, fake_wix, host["schedule_id"], connection["id"]))

    assert page.status_code == 200
    assert "in sync" in page.get_data(as_text=True)
    assert _writes(fake_wix) == []


def test_an_unknown_connection_id_changes_nothing_and_leaves_the_link_usable(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    query = _return(app, fake_wix, host["schedule_id"], "Zm9yZ2Vk<script>")

    page = client.get(PAGE, query_string=query)

    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "We couldn&#39;t find this calendar connection" in text
    assert "nothing was changed" in text
    assert "<script>" not in text
    assert _writes(fake_wix) == []
    assert _recorded(app, "Zm9yZ2Vk<script>") is None
    connection = fake_wix.add_connection(host["schedule_id"])
    again = client.get(PAGE, query_string={**query, "connectionId": connection["id"]})
    assert again.status_code == 200


@pytest.mark.parametrize(
    "hostile", ["../../../../stores/v1/orders", "x?fieldsets=FULL#frag", "..", "a\u0000b"]
)
def test_a_hostile_connection_id_reaches_no_other_wix_endpoint(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str], hostile: str
) -> None:
    page = client.get(PAGE, query_string=_return(app, fake_wix, host["schedule_id"], hostile))

    assert page.status_code == 404
    paths = [r.raw_path for r in fake_wix.requests]
    assert all(p.startswith("/bookings/v2/external-calendars/connections/") for p in paths), paths
    assert len(paths) <= 1  # the one Get Connection, or none for an id that cannot be a Wix id
    assert not [p for p in paths if "/stores/" in p]  # as sent, the id is one encoded segment


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


def test_a_signed_return_without_connection_id_is_a_400(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    page = client.get(PAGE, query_string=_return(app, fake_wix, host["schedule_id"], None))

    assert page.status_code == 400
    assert "This link is incomplete" in page.get_data(as_text=True)
    assert fake_wix.requests == []


def _forged_states(app: Flask, fake: FakeWix, schedule_id: str) -> dict[str, str]:
    genuine = signed_state(app.extensions["settings"], schedule_id, fake.site_id)
    return {
        "no state (the old link form)": "",
        "signed with another key": signed_state(
            "another-deployments-secret-key-0123456789", schedule_id, fake.site_id
        ),
        "payload changed": "eyJpIjoiYXR0YWNrZXIifQ" + genuine[genuine.index(".") :],
        "signature changed": genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB"),
        "garbage": "not-a-state",
        "far too long": "A" * 5000,
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "no state (the old link form)",
        "signed with another key",
        "payload changed",
        "signature changed",
        "garbage",
        "far too long",
    ],
)
def test_a_forged_state_gets_a_400_without_calling_wix_or_writing(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str], forgery: str
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"], status="CONNECTED")
    state = _forged_states(app, fake_wix, host["schedule_id"])[forgery]
    query = {"connectionId": connection["id"], **({"state": state} if state else {})}

    page = client.get(PAGE, query_string=query)

    assert page.status_code == 400
    assert "This link isn&#39;t valid" in page.get_data(as_text=True)
    assert fake_wix.requests == []
    assert _recorded(app, connection["id"]) is None


def test_a_state_older_than_72_hours_has_expired(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    old = utcnow() - timedelta(hours=72, minutes=1)

    page = client.get(
        PAGE, query_string=_return(app, fake_wix, host["schedule_id"], connection["id"], now=old)
    )

    assert page.status_code == 400
    assert "This link has expired" in page.get_data(as_text=True)
    assert fake_wix.requests == []
    assert _recorded(app, connection["id"]) is None


def test_a_state_just_inside_72_hours_is_accepted(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    recent = utcnow() - timedelta(hours=71, minutes=59)

    page = client.get(
        PAGE, query_string=_return(app, fake_wix, host["schedule_id"], connection["id"], now=recent)
    )

    assert page.status_code == 200


def test_a_used_link_replayed_gets_a_409_without_calling_wix(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(
        host["schedule_id"], sync_config=default_sync_config(import_enabled=False, export_enabled=False)
    )
    query = _return(app, fake_wix, host["schedule_id"], connection["id"])
    first = client.get(PAGE, query_string=query)
    calls = len(fake_wix.requests)
    fake_wix.set_connection_status(connection["id"], "ERROR", "TOKEN_REVOKED")

    replayed = client.get(PAGE, query_string=query)
    another_connection = client.get(PAGE, query_string={**query, "connectionId": "c2"})

    assert first.status_code == 200
    assert replayed.status_code == another_connection.status_code == 409
    assert "This link was already used" in replayed.get_data(as_text=True)
    assert len(fake_wix.requests) == calls
    assert _recorded(app, connection["id"]).status == "SYNCED"  # not re-recorded as ERROR
    nonce_keys = [k for k in _ledger_keys(app) if k.startswith("oauth-state:")]
    assert len(nonce_keys) == 1


def _ledger_keys(app: Flask) -> list[str]:
    from sqlalchemy import select

    from processor.store.models import LedgerEntry

    with app.extensions["sessions"]() as session:
        return list(session.execute(select(LedgerEntry.key)).scalars())


def test_another_hosts_connection_is_refused_after_one_read_and_nothing_written(
    app: Flask,
    client: FlaskClient,
    fake_wix: FakeWix,
    host: dict[str, str],
    other_host: dict[str, str],
) -> None:
    sams = fake_wix.add_connection(
        other_host["schedule_id"], sync_config=default_sync_config(import_enabled=False, export_enabled=False)
    )
    danas_link = _return(app, fake_wix, host["schedule_id"], sams["id"])

    page = client.get(PAGE, query_string=danas_link)

    assert page.status_code == 404
    assert "We couldn&#39;t find this calendar connection" in page.get_data(as_text=True)
    assert [(r.method, r.path) for r in fake_wix.requests] == [
        ("GET", f"/bookings/v2/external-calendars/connections/{sams['id']}")
    ]
    assert _recorded(app, sams["id"]) is None
    assert not any(k.startswith("oauth-state:") for k in _ledger_keys(app))
    danas = fake_wix.add_connection(host["schedule_id"])
    assert client.get(PAGE, query_string={**danas_link, "connectionId": danas["id"]}).status_code == 200


def test_a_state_for_another_site_is_a_404_without_calling_wix(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    query = _return(
        app,
        fake_wix,
        host["schedule_id"],
        connection["id"],
        instance_id="11111111-2222-4333-8444-555555555555",
    )

    page = client.get(PAGE, query_string=query)

    assert page.status_code == 404
    assert fake_wix.requests == []


def test_everything_shown_is_escaped_and_no_secret_is_on_the_page(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(
        host["schedule_id"], email='"><img src=x onerror=alert(1)>@x.example'
    )
    query = _return(app, fake_wix, host["schedule_id"], connection["id"])

    text = client.get(PAGE, query_string=query).get_data(as_text=True)

    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;@x.example" in text
    assert fake_wix.api_key not in text
    assert connection["id"] not in text
    assert query["state"] not in text
    assert SECRET_KEY not in text


def test_wix_down_gets_a_try_again_page_and_a_reload_works(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    query = _return(app, fake_wix, host["schedule_id"], connection["id"])
    fake_wix.fail_next("/connections/", status=500)

    page = client.get(PAGE, query_string=query)
    reloaded = client.get(PAGE, query_string=query)

    assert page.status_code == 502
    assert "reload this page in a minute" in page.get_data(as_text=True)
    assert reloaded.status_code == 200


def test_a_wix_answer_without_the_connection_is_a_502_in_words(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
) -> None:
    connection = fake_wix.add_connection(host["schedule_id"])
    query = _return(app, fake_wix, host["schedule_id"], connection["id"])
    fake_wix.fail_next("/connections/", status=200)  # a 200 whose body has no `connection`

    page = client.get(PAGE, query_string=query)

    assert page.status_code == 502
    assert "Wix didn&#39;t answer as expected" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert _recorded(app, connection["id"]) is None
    assert client.get(PAGE, query_string=query).status_code == 200  # the link was not used up


def test_the_full_oauth_round_trip_from_connect_to_page(
    app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str], wix_client: WixClient
) -> None:
    started = connect_oauth(
        wix_client,
        host_email="dana@example.com",
        provider_name="Google",
        instance_id=fake_wix.site_id,
        public_base_url=PUBLIC_BASE_URL,
        secret_key=SECRET_KEY,
        now=utcnow(),
    )
    consent = httpx.get(started.oauth_url, follow_redirects=False)
    back = urlsplit(consent.headers["location"])

    page = client.get(back.path, query_string=parse_qs(back.query))

    assert back.path == PAGE
    assert set(parse_qs(back.query)) == {"state", "connectionId"}
    assert page.status_code == 200
    assert "Your Google Calendar is connected" in page.get_data(as_text=True)
    assert Ledger(app.extensions["sessions"]).is_done(
        f"oauth-state:{_nonce(parse_qs(back.query)['state'][0])}"
    )


def _nonce(token: str) -> str:
    from processor.meetings.oauth_state import read_state

    return read_state(SECRET_KEY, token, now=utcnow()).nonce


class TestAppMode:
    """App mode: the state names the site, which must be an installed one."""

    @pytest.fixture
    def app(self, fake_wix: FakeWix, fake_wix_public_key_pem: str, tmp_path: Path) -> Flask:
        return make_page_app(fake_wix, fake_wix_public_key_pem, tmp_path, app_mode=True)

    def test_an_installed_site_is_served(
        self, app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
    ) -> None:
        sites.upsert_site(app.extensions["sessions"], fake_wix.instance_id, now=utcnow())
        connection = fake_wix.add_connection(host["schedule_id"], email="dana@gmail.example")
        query = _return(
            app, fake_wix, host["schedule_id"], connection["id"], instance_id=fake_wix.instance_id
        )

        page = client.get(PAGE, query_string=query)

        assert page.status_code == 200
        assert "dana@gmail.example" in page.get_data(as_text=True)

    @pytest.mark.parametrize("removed", [False, True])
    def test_a_site_not_installed_is_a_404_without_calling_wix(
        self, app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str], removed: bool
    ) -> None:
        if removed:
            sites.mark_site_removed(app.extensions["sessions"], fake_wix.instance_id, now=utcnow())
        connection = fake_wix.add_connection(host["schedule_id"])
        query = _return(
            app, fake_wix, host["schedule_id"], connection["id"], instance_id=fake_wix.instance_id
        )

        page = client.get(PAGE, query_string=query)

        assert page.status_code == 404
        assert fake_wix.requests == []

    def test_the_old_instance_id_parameter_is_not_trusted(
        self, app: Flask, client: FlaskClient, fake_wix: FakeWix, host: dict[str, str]
    ) -> None:
        sites.upsert_site(app.extensions["sessions"], fake_wix.instance_id, now=utcnow())
        connection = fake_wix.add_connection(host["schedule_id"])

        page = client.get(
            PAGE, query_string={"instanceId": fake_wix.instance_id, "connectionId": connection["id"]}
        )

        assert page.status_code == 400
        assert fake_wix.requests == []
