"""The fake Wix serves many sites: each its own state, reached by its tokens or by API key + site id."""

import httpx
import pytest

from processor.wix import WixNotFoundError, WixPermissionError, WixValidationError
from processor.wix.services import meetings_services_filter


@pytest.fixture
def two_sites(fake_wix):
    """Two added sites, each with one paid Meetings link, a host and a booking."""
    sites = []
    for _ in range(2):
        site = fake_wix.add_site()
        host = site.seed_site().hosts[0]
        site.book_paid(host.service_id)
        sites.append(site)
    return sites


def _token(fake_wix, instance_id):
    body = {
        "grant_type": "client_credentials",
        "client_id": fake_wix.app_id,
        "client_secret": fake_wix.app_secret,
        "instance_id": instance_id,
    }
    return httpx.post(f"{fake_wix.url}/oauth2/token", json=body, timeout=5)


def test_app_mode_tokens_see_only_their_own_site(wix_site_client, two_sites):
    first, second = two_sites
    first_client, second_client = wix_site_client(first), wix_site_client(second)

    first_links = [s.id for s in first_client.services.query_all(meetings_services_filter())]
    second_links = [s.id for s in second_client.services.query_all(meetings_services_filter())]
    second_booking = next(iter(second.bookings))

    assert first_links == list(first.services)
    assert second_links == list(second.services)
    assert first_client.bookings.get_extended(second_booking) is None
    assert second_client.bookings.get_extended(second_booking).booking.id == second_booking


def test_a_write_lands_on_the_site_of_the_token_only(wix_site_client, two_sites):
    first, second = two_sites
    booking_id = next(iter(second.bookings))

    with pytest.raises(WixNotFoundError):
        wix_site_client(first).bookings.cancel(booking_id, revision=1)
    wix_site_client(second).bookings.cancel(booking_id, revision=1)

    assert second.bookings[booking_id]["status"] == "CANCELED"
    assert second.requests_to("/cancel", "POST")[0].instance_id == second.instance_id
    assert len(first.requests_to("/cancel")) == 1


def test_api_key_mode_one_key_serves_every_site_by_its_site_id(fake_wix, wix_site_client, two_sites):
    first, second = two_sites

    first_links = [s.id for s in wix_site_client(first, "key").services.query_all()]
    second_links = [s.id for s in wix_site_client(second, "key").services.query_all()]

    assert first_links == list(first.services)
    assert second_links == list(second.services)
    assert fake_wix.services == {}
    assert fake_wix.requests == []


def test_api_key_with_an_unknown_site_id_is_forbidden(fake_wix):
    answer = httpx.get(
        f"{fake_wix.url}/bookings/v2/external-calendars/providers",
        headers={"Authorization": fake_wix.api_key, "wix-site-id": "no-such-site"},
        timeout=5,
    )

    assert answer.status_code == 403
    assert answer.json()["details"]["applicationError"]["code"] == "FORBIDDEN"


def test_a_site_key_serves_its_own_site_and_no_other(fake_wix, wix_site_client):
    own = fake_wix.add_site(api_key="key-of-one-site")
    other = fake_wix.add_site()

    own_links = wix_site_client(own, "key", api_key="key-of-one-site").services.query()
    with pytest.raises(WixPermissionError) as refused:
        wix_site_client(other, "key", api_key="key-of-one-site").services.query()

    assert own_links.services == ()
    assert refused.value.status == 403


def test_an_unknown_instance_is_refused_a_token_as_an_uninstalled_one(fake_wix):
    answer = _token(fake_wix, "f0f0f0f0-0000-4000-8000-000000000000")

    assert answer.status_code == 400
    assert answer.json()["details"]["applicationError"]["code"] == "INVALID_INSTANCE"


def test_uninstalling_a_site_refuses_its_tokens_and_leaves_the_others(fake_wix, wix_site_client, two_sites):
    first, second = two_sites
    first_client, second_client = wix_site_client(first), wix_site_client(second)
    first_client.services.query()
    second_client.services.query()

    removed = second.uninstall()
    refused = _token(fake_wix, second.instance_id)

    assert removed.event_type == "AppRemoved"
    assert removed.layer3() == {"appId": fake_wix.app_id}
    assert refused.status_code == 400
    with pytest.raises(WixValidationError):
        second_client.services.query()  # its token answers 401, a new one is refused (400)
    assert first_client.services.query().services
    assert first.installed
    assert not second.installed


def test_the_default_site_keeps_its_accessors_beside_other_sites(fake_wix, two_sites):
    demo = fake_wix.seed_demo()

    assert list(fake_wix.services) == [demo["service_id"]]
    assert list(fake_wix.bookings) == [demo["booking_id"]]
    assert fake_wix.site(fake_wix.instance_id).state is fake_wix.state
    assert [s.instance_id for s in fake_wix.sites] == [fake_wix.instance_id] + [
        s.instance_id for s in two_sites
    ]
    assert fake_wix.site(two_sites[0].instance_id) is two_sites[0]


def test_scripted_faults_stay_on_their_site(fake_wix, wix_site_client, two_sites):
    first, second = two_sites
    second.fail_next("/services/query", status=503)

    first_page = wix_site_client(first, "key").services.query()
    second_answer = httpx.post(
        f"{fake_wix.url}/bookings/v2/services/query",
        json={"query": {}},
        headers={"Authorization": fake_wix.api_key, "wix-site-id": second.site_id},
        timeout=5,
    )

    assert first_page.services
    assert second_answer.status_code == 503


def test_oauth_consent_connects_the_calendar_on_the_site_that_asked(wix_site_client, two_sites):
    first, second = two_sites
    schedule_id = second.seed_site(connection=False).hosts[0].schedule_id
    known = set(second.connections)
    google = next(p for p in wix_site_client(second).calendars.list_providers() if p.name == "Google")
    oauth_url = wix_site_client(second).calendars.connect_by_oauth(
        schedule_id, google.id, "https://meetings.example/back"
    )

    landed = httpx.get(oauth_url, timeout=5)

    new = set(second.connections) - known
    assert landed.status_code == 302
    assert len(new) == 1
    assert landed.headers["location"].endswith(f"connectionId={new.pop()}")
    assert len(first.connections) == 1
