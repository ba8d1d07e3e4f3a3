"""What reached the fake Wix, per site, as `GET /_fake/stats` reports it to a harness in another process."""

import httpx
import pytest

from processor.devtools.fake_wix import FakeWix
from processor.wix.orders import PaymentRefund


class ManualClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def timed_fake(clock):
    fake = FakeWix(clock=clock).start()
    yield fake
    fake.stop()


def _calls(fake, site, count):
    headers = {"Authorization": fake.api_key, "wix-site-id": site.site_id}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
        for _ in range(count):
            assert client.get("/bookings/v2/external-calendars/providers").status_code == 200


def _stats(fake):
    return httpx.get(f"{fake.url}/_fake/stats", timeout=5).json()


def test_the_busiest_60_second_window_is_counted_per_site(timed_fake, clock):
    site = timed_fake.add_site()
    _calls(timed_fake, site, 5)
    clock.now += 30
    _calls(timed_fake, site, 7)
    clock.now += 31  # the first 5 are now more than 60 s old
    _calls(timed_fake, site, 3)

    figures = _stats(timed_fake)["sites"][site.instance_id]

    assert figures["requests"] == 15
    assert figures["max_requests_in_window"] == 12
    assert figures["window_seconds"] == 60
    assert _stats(timed_fake)["sites"][timed_fake.instance_id]["requests"] == 0


def test_token_requests_are_counted_apart_from_api_calls(fake_wix, wix_site_client):
    site = fake_wix.add_site()
    client = wix_site_client(site)

    for _ in range(3):
        client.services.query()

    figures = _stats(fake_wix)["sites"][site.instance_id]
    assert (figures["requests"], figures["token_requests"]) == (3, 1)


def test_refunds_are_counted_per_booking(fake_wix, wix_site_client):
    site = fake_wix.add_site()
    service_id = site.seed_site().hosts[0].service_id
    refunded, untouched = site.book_paid(service_id).entity_id, site.book_paid(service_id).entity_id
    client = wix_site_client(site)
    order = client.bookings.get_extended(refunded).order
    payment = client.orders.refundability(order.id).payments[0]
    client.orders.refund(order.id, [PaymentRefund(payment.payment_id, payment.remaining_refund)])

    figures = _stats(fake_wix)["sites"][site.instance_id]

    assert figures["refunds"] == 1
    assert figures["refunds_by_booking"] == {refunded: 1}
    assert untouched not in figures["refunds_by_booking"]


def test_unclaimed_requests_and_totals(fake_wix):
    site = fake_wix.add_site()
    _calls(fake_wix, site, 2)
    httpx.get(f"{fake_wix.url}/bookings/v2/external-calendars/providers", timeout=5)  # no credentials

    stats = _stats(fake_wix)

    assert stats["unattributed"]["requests"] == 1
    assert stats["totals"]["requests"] == 3
    assert stats["config"]["sites"] == 2
    assert set(stats["sites"]) == {fake_wix.instance_id, site.instance_id}


def test_the_request_log_keeps_only_the_newest_entries_but_counts_all():
    fake = FakeWix(request_log_limit=4).start()
    try:
        _calls(fake, fake.default_site, 10)

        assert len(fake.requests) == 4
        assert fake.stats()["sites"][fake.instance_id]["requests"] == 10
    finally:
        fake.stop()
