"""External calendar connections through WixClient against the fake, over HTTP."""

import httpx
import pytest

from processor.devtools.fake_wix_calendars import APPLE_PROVIDER_ID, GOOGLE_PROVIDER_ID, MICROSOFT_PROVIDER_ID
from processor.wix import WixNotFoundError, WixPermissionError, WixPreconditionError, WixValidationError
from processor.wix.calendars import sync_config


@pytest.fixture
def schedule_id(fake_wix):
    return fake_wix.add_staff_member()["resource"]["eventsSchedule"]["id"]


def test_providers_say_how_they_connect(wix_client):
    providers = {p.id: p for p in wix_client.calendars.list_providers()}

    assert providers[GOOGLE_PROVIDER_ID].connect_methods == ("OAUTH",)
    assert providers[APPLE_PROVIDER_ID].connect_methods == ("CREDENTIALS",)


def test_connect_by_oauth_sends_a_literal_colon_and_returns_the_consent_url(
    wix_client, fake_wix, schedule_id
):
    url = wix_client.calendars.connect_by_oauth(schedule_id, GOOGLE_PROVIDER_ID, "https://app.example/cb")

    assert fake_wix.requests[-1].raw_path == "/bookings/v2/external-calendars/connections:connectByOAuth"
    consent = httpx.get(url)
    assert consent.status_code == 302
    connection_id = httpx.URL(consent.headers["location"]).params["connectionId"]
    assert wix_client.calendars.get_connection(connection_id).status == "CONNECTED"


def test_connect_by_credentials_connects(wix_client, fake_wix, schedule_id):
    connection = wix_client.calendars.connect_by_credentials(
        schedule_id, APPLE_PROVIDER_ID, "a@icloud.com", "app-pw"
    )

    assert connection.status == "CONNECTED"
    assert connection.external_account_email == "a@icloud.com"
    assert fake_wix.requests[-1].json["password"] == "<redacted>"


def test_bad_credentials_are_refused(wix_client, schedule_id):
    with pytest.raises(WixValidationError) as caught:
        wix_client.calendars.connect_by_credentials(schedule_id, APPLE_PROVIDER_ID, "a@icloud.com", "wrong")

    assert caught.value.code == "BAD_CREDENTIALS"


def test_list_connections_sends_repeated_schedule_ids(wix_client, fake_wix, schedule_id):
    mine = fake_wix.add_connection(schedule_id)
    fake_wix.add_connection("other-schedule")

    listed = wix_client.calendars.list_connections([schedule_id, "unknown"])

    assert [c.id for c in listed.connections] == [mine["id"]]
    assert fake_wix.requests[-1].query == {
        "scheduleIds": [schedule_id, "unknown"],
        "partialFailure": ["true"],
    }


def test_list_connections_reports_failed_providers(wix_client, fake_wix, schedule_id):
    fake_wix.add_connection(schedule_id, provider_id=GOOGLE_PROVIDER_ID)
    outlook = fake_wix.add_connection(schedule_id, provider_id=MICROSOFT_PROVIDER_ID)
    fake_wix.fail_provider(GOOGLE_PROVIDER_ID)

    listed = wix_client.calendars.list_connections([schedule_id])

    assert [c.id for c in listed.connections] == [outlook["id"]]
    assert listed.failed_provider_ids == (GOOGLE_PROVIDER_ID,)


def test_status_changes_show_on_the_next_read(wix_client, fake_wix, schedule_id):
    connection = fake_wix.add_connection(schedule_id)
    fake_wix.set_connection_status(connection["id"], "ERROR", "TOKEN_REVOKED")

    read = wix_client.calendars.get_connection(connection["id"])

    assert (read.status, read.error_reason, read.is_broken) == ("ERROR", "TOKEN_REVOKED", True)


def test_update_sync_config_turns_import_off(wix_client, fake_wix, schedule_id):
    connection = fake_wix.add_connection(schedule_id)

    updated = wix_client.calendars.update_sync_config(
        connection["id"], sync_config(import_enabled=False, export_enabled=True)
    )

    assert (updated.import_enabled, updated.export_enabled) == (False, True)


def test_disconnect_twice_is_a_failed_precondition(wix_client, fake_wix, schedule_id):
    connection = fake_wix.add_connection(schedule_id)

    assert wix_client.calendars.disconnect(connection["id"]).status == "DISCONNECTED"
    with pytest.raises(WixPreconditionError) as caught:
        wix_client.calendars.disconnect(connection["id"])

    assert caught.value.code == "CONNECTION_ALREADY_DISCONNECTED"


def test_unknown_connection_is_not_found(wix_client):
    with pytest.raises(WixNotFoundError):
        wix_client.calendars.get_connection("nope")


def test_without_premium_calendar_calls_are_forbidden(wix_client, fake_wix):
    fake_wix.set_premium(False)

    with pytest.raises(WixPermissionError) as caught:
        wix_client.calendars.list_providers()

    assert caught.value.code == "PREMIUM_FEATURE_NOT_ENABLED"
