"""The fake Wix's latency and random faults: rates honoured with a seed, Retry-After, nothing applied."""

from collections import Counter

import httpx
import pytest

from processor.devtools.fake_wix import FaultRates
from processor.wix import WixRateLimitedError, WixUnavailableError, make_wix_client
from processor.wix.limiter import RateLimiter
from processor.wix.orders import PaymentRefund

CALLS = 2000
SOAK = FaultRates(error_500=0.05, rate_limited=0.02, drop=0.01)


def _key_headers(fake):
    return {"Authorization": fake.api_key, "wix-site-id": fake.site_id}


def _outcomes(fake, calls):
    """Status of each of `calls` Get Service calls over one keep-alive client; "drop" when unanswered."""
    service_id = fake.add_service("Intro call")["id"]
    seen = []
    with httpx.Client(base_url=fake.url, headers=_key_headers(fake), timeout=10) as client:
        for _ in range(calls):
            try:
                seen.append(client.get(f"/bookings/v2/services/{service_id}").status_code)
            except httpx.TransportError:
                seen.append("drop")
    return seen


@pytest.fixture
def paid(fake_wix):
    site = fake_wix.seed_site()
    booking = fake_wix.book_paid(site.hosts[0].service_id).body
    return booking


def test_fault_rates_are_roughly_honoured_and_counted(fake_wix):
    fake_wix.configure_faults(SOAK, seed=11)

    seen = Counter(_outcomes(fake_wix, CALLS))

    assert 60 <= seen[500] <= 140  # expected 100
    assert 20 <= seen[429] <= 65  # expected 40
    assert 6 <= seen["drop"] <= 38  # expected 20
    assert seen[200] == CALLS - seen[500] - seen[429] - seen["drop"]
    injected = fake_wix.stats()["sites"][fake_wix.instance_id]["faults"]
    assert (injected["500"], injected["429"], injected["drop"]) == (seen[500], seen[429], seen["drop"])


def test_the_same_seed_draws_the_same_faults(fake_wix):
    fake_wix.configure_faults(SOAK, seed=5)
    first = _outcomes(fake_wix, 300)

    fake_wix.configure_faults(SOAK, seed=5)
    second = _outcomes(fake_wix, 300)

    assert first == second
    assert set(first) > {200}


def test_a_random_429_carries_retry_after(fake_wix, wix_client):
    fake_wix.configure_faults(FaultRates(rate_limited=1.0, retry_after=1))

    with pytest.raises(WixRateLimitedError) as caught:
        wix_client.services.query()

    assert caught.value.retry_after == 1.0


def test_a_random_500_has_an_empty_body(fake_wix):
    fake_wix.configure_faults(FaultRates(error_500=1.0))

    answer = httpx.post(
        f"{fake_wix.url}/bookings/v2/services/query", json={}, headers=_key_headers(fake_wix), timeout=5
    )

    assert answer.status_code == 500
    assert answer.content == b""
    assert answer.headers["x-wix-request-id"]


@pytest.mark.parametrize(
    "rates", [FaultRates(error_500=1.0), FaultRates(rate_limited=1.0), FaultRates(drop=1.0)]
)
def test_a_faulted_write_changes_nothing(fake_wix, wix_client, paid, rates):
    fake_wix.configure_faults(rates)

    with pytest.raises(WixUnavailableError):
        wix_client.bookings.cancel(paid["id"], revision=1)

    assert fake_wix.bookings[paid["id"]]["status"] == "CONFIRMED"
    assert fake_wix.bookings[paid["id"]]["revision"] == "1"


def test_a_lost_answer_applies_the_write_then_drops_the_connection(fake_wix, wix_client, paid):
    order_id = wix_client.bookings.get_extended(paid["id"]).order.id
    payment = wix_client.orders.refundability(order_id).payments[0]
    fake_wix.configure_faults(FaultRates(lost_answer=1.0))

    with pytest.raises(WixUnavailableError):
        wix_client.orders.refund(order_id, [PaymentRefund(payment.payment_id, payment.remaining_refund)])

    assert len(fake_wix.refunds) == 1
    assert fake_wix.refunds_by_booking() == {paid["id"]: 1}
    assert fake_wix.stats()["totals"]["faults"]["lost_answer"] == 1


def test_a_lost_answer_never_hits_a_read(fake_wix, wix_client):
    fake_wix.configure_faults(FaultRates(lost_answer=1.0))

    page = wix_client.services.query()

    assert page.services == ()


def test_latency_delays_api_calls_and_token_requests_but_not_control_paths(fake_wix, wix_settings):
    impatient = make_wix_client(wix_settings, timeout=httpx.Timeout(0.3, connect=3.0), limiter=RateLimiter())
    fake_wix.configure_faults(FaultRates(latency=3.0))

    with pytest.raises(WixUnavailableError) as caught:
        impatient.services.query()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{fake_wix.url}/oauth2/token", json={}, timeout=0.3)
    stats = httpx.get(f"{fake_wix.url}/_fake/stats", timeout=2.0).json()

    assert "timed out" in str(caught.value)
    assert stats["config"]["latency"] == 3.0


def test_control_paths_are_never_faulted(fake_wix):
    fake_wix.configure_faults(FaultRates(error_500=0.5, drop=0.5))

    with httpx.Client(base_url=fake_wix.url, timeout=5) as client:
        answers = [client.get("/_fake/stats").status_code for _ in range(20)]

    assert answers == [200] * 20
    assert fake_wix.stats()["totals"]["requests"] == 0


def test_rates_that_cannot_hold_are_refused():
    with pytest.raises(ValueError):
        FaultRates(error_500=0.7, drop=0.5)
