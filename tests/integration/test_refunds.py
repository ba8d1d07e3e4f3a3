"""refund_booking_once against the fake Wix: one refund per booking, whatever happens around it."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from processor.config import Settings
from processor.devtools.fake_wix import FakeWix
from processor.meetings.refunds import refund_booking_once
from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.wix import WixClient, WixUnavailableError, make_wix_client
from processor.wix.limiter import RateLimiter
from tests.fixtures.servers import wait_until

REFUND_PATH = r"/order-billing/refund-payments$"


@pytest.fixture
def ledger(sessions: Sessions) -> Ledger:
    """The ledger on a fresh store: each test runs on SQLite and on PostgreSQL."""
    return Ledger(sessions)


def _paid_booking(fake_wix: FakeWix, **kwargs: object) -> str:
    host = fake_wix.add_staff_member()
    service = fake_wix.add_service(staff_member_ids=[host["resourceId"]], price="50.00")
    return str(fake_wix.add_booking(service["id"], **kwargs)["id"])  # type: ignore[arg-type]


def test_refunds_the_whole_payment_once(fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger) -> None:
    booking_id = _paid_booking(fake_wix, paid="50.00")

    first = refund_booking_once(wix_client, ledger, booking_id, reason="Meeting canceled")
    second = refund_booking_once(wix_client, ledger, booking_id, reason="Meeting canceled")

    assert first.status == "refunded"
    assert first.amount == Decimal("50.00")
    assert first.currency == "USD"
    assert first.refund_id == fake_wix.refunds[0]["id"]
    assert second.status == "already_refunded"
    assert second.amount == Decimal("50.00")
    assert len(fake_wix.refunds) == 1
    request = fake_wix.refunds[0]["request"]
    assert request["paymentRefunds"][0]["amount"] == {"amount": "50.00"}
    assert request["refundItems"]["lineItems"][0]["quantity"] == 1
    assert request["customerReason"] == "Meeting canceled"


def test_refunds_each_payment_of_a_split_order(
    fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger
) -> None:
    booking_id = _paid_booking(fake_wix, payments=["10.00", "40.00"])

    result = refund_booking_once(wix_client, ledger, booking_id, reason="canceled")

    assert result.status == "refunded"
    assert result.amount == Decimal("50.00")
    amounts = [r["amount"]["amount"] for r in fake_wix.refunds[0]["request"]["paymentRefunds"]]
    assert sorted(amounts) == ["10.00", "40.00"]


def test_unpaid_booking_has_no_order(fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger) -> None:
    booking_id = _paid_booking(fake_wix)

    result = refund_booking_once(wix_client, ledger, booking_id, reason="canceled")

    assert result.status == "no_order"
    assert result.amount == 0
    assert fake_wix.refunds == []


def test_a_refund_made_elsewhere_counts_as_already_refunded(
    fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger
) -> None:
    booking_id = _paid_booking(fake_wix, paid="50.00")
    refund_booking_once(wix_client, ledger, booking_id, reason="x")
    ledger.forget(f"refund:{booking_id}")  # as if the refund had been made in the dashboard

    result = refund_booking_once(wix_client, ledger, booking_id, reason="canceled")

    assert result.status == "already_refunded"
    assert len(fake_wix.refunds) == 1
    assert ledger.entry(f"refund:{booking_id}") is None  # nothing done: the key is free again


def test_the_order_money_is_read_once_per_refund_under_the_key(
    fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger
) -> None:
    booking_id = _paid_booking(fake_wix, paid="50.00")

    result = refund_booking_once(wix_client, ledger, booking_id, reason="canceled")

    assert result.status == "refunded"
    assert len(fake_wix.requests_to(r"/get-order-refundability$", "POST")) == 1
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1


def test_server_errors_raise_and_the_retry_refunds_once(
    fake_wix: FakeWix, wix_client: WixClient, ledger: Ledger
) -> None:
    booking_id = _paid_booking(fake_wix, paid="50.00")
    fake_wix.fail_next(REFUND_PATH, status=500)

    with pytest.raises(WixUnavailableError):
        refund_booking_once(wix_client, ledger, booking_id, reason="canceled")
    result = refund_booking_once(wix_client, ledger, booking_id, reason="canceled")

    assert result.status == "refunded"
    assert len(fake_wix.refunds) == 1


def test_a_timed_out_refund_that_landed_is_never_sent_again_and_is_recorded_as_ours(
    fake_wix: FakeWix, wix_settings: Settings, ledger: Ledger
) -> None:
    client = make_wix_client(
        wix_settings,
        timeout=httpx.Timeout(0.3),
        limiter=RateLimiter(requests_per_minute=60_000, burst=1000),
    )
    booking_id = _paid_booking(fake_wix, paid="50.00")
    fake_wix.fail_next(REFUND_PATH, status=None, delay=1.0)  # answers late: the refund lands

    with pytest.raises(WixUnavailableError):
        refund_booking_once(client, ledger, booking_id, reason="canceled")
    wait_until(lambda: len(fake_wix.refunds) == 1, timeout=5, message="the slow refund never landed")
    result = refund_booking_once(client, ledger, booking_id, reason="canceled")
    again = refund_booking_once(client, ledger, booking_id, reason="canceled")

    assert result.status == "refunded"
    assert result.ours is True
    assert result.amount == Decimal("50.00")
    assert result.refund_id == fake_wix.refunds[0]["id"]
    assert ledger.is_done(f"refund:{booking_id}")
    assert (again.status, again.ours, again.refund_id) == ("already_refunded", True, result.refund_id)
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1
