"""Bookings, availability and orders through WixClient against the fake, over HTTP."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from processor.wix import WixConflictError, WixNotFoundError, WixValidationError
from processor.wix.availability import booking_location_type
from processor.wix.bookings import Slot, SlotResource
from processor.wix.orders import PaymentRefund


@pytest.fixture
def host(fake_wix):
    return fake_wix.add_staff_member("Dana Host", "dana@example.com")


@pytest.fixture
def link(fake_wix, host):
    return fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], price="50.00")


@pytest.fixture
def paid_booking(fake_wix, link, host):
    return fake_wix.add_booking(link["id"], staff_member_id=host["id"], paid="50.00")


def test_extended_booking_carries_allowed_actions_and_order(wix_client, fake_wix, paid_booking):
    extended = wix_client.bookings.get_extended(paid_booking["id"])

    assert extended.booking.is_meetings
    assert extended.booking.is_paid_online
    assert extended.booking.revision == 1
    assert extended.booking.slot.resource.email == "dana@example.com"
    assert extended.booking.contact.email == "lee@example.com"
    assert (extended.can_cancel, extended.can_reschedule) == (True, True)
    assert extended.order.total == Decimal("50.00")
    sent = fake_wix.requests_to("extended-bookings/query")[-1]
    assert sent.path == "/_api/bookings-reader/v2/extended-bookings/query"
    assert sent.json == {
        "query": {"filter": {"id": {"$eq": paid_booking["id"]}}, "cursorPaging": {"limit": 1}},
        "withBookingAllowedActions": True,
        "withEcomOrder": True,
    }


def test_unknown_booking_reads_as_none(wix_client):
    assert wix_client.bookings.get_extended("no-such-booking") is None


def test_query_extended_pages_by_cursor(wix_client, fake_wix, link):
    for _ in range(3):
        fake_wix.add_booking(link["id"])

    first = wix_client.bookings.query_extended({"status": "CONFIRMED"}, limit=2)
    second = wix_client.bookings.query_extended(limit=2, cursor=first.next_cursor)

    assert len(first.bookings) == 2
    assert first.next_cursor
    assert len(second.bookings) == 1
    assert second.next_cursor is None


def test_cancel_with_revision_cancels_and_bumps_revision(wix_client, fake_wix, paid_booking):
    booking = wix_client.bookings.cancel(paid_booking["id"], 1, message="Sorry")

    assert (booking.status, booking.revision) == ("CANCELED", 2)
    sent = fake_wix.requests_to("/cancel")[-1]
    assert sent.path == f"/_api/bookings-service/v2/bookings/{paid_booking['id']}/cancel"
    assert sent.json["revision"] == "1"
    assert sent.json["flowControlSettings"]["withRefund"] is False


def test_cancel_with_stale_revision_is_a_conflict(wix_client, paid_booking):
    wix_client.bookings.cancel(paid_booking["id"], 1)

    with pytest.raises(WixConflictError):
        wix_client.bookings.cancel(paid_booking["id"], 1)


def test_cancel_unknown_booking_is_not_found(wix_client):
    with pytest.raises(WixNotFoundError) as caught:
        wix_client.bookings.cancel("missing", 1)

    assert caught.value.code == "BOOKING_NOT_FOUND"


def test_reschedule_into_a_free_slot_moves_the_booking(wix_client, paid_booking, link):
    slot = wix_client.availability.get_time_slot(
        link["id"], "2026-06-15T10:00:00", "2026-06-15T10:30:00", "Europe/Dublin"
    )
    old = paid_booking["bookedEntity"]["slot"]
    target = Slot(
        service_id=link["id"],
        schedule_id=old["scheduleId"],
        start_date=slot.local_start_date,
        end_date=slot.local_end_date,
        timezone="Europe/Dublin",
        resource=SlotResource(old["resource"]["id"], old["resource"]["name"]),
        location_type=booking_location_type(slot.location_type),
    )

    booking = wix_client.bookings.reschedule(paid_booking["id"], 1, target)

    assert booking.start_date == "2026-06-15T09:00:00.000Z"
    assert booking.revision == 2
    assert booking.slot.location_type == "OWNER_BUSINESS"


def test_list_time_slots_skips_booked_times(wix_client, fake_wix, link):
    page = wix_client.availability.list_time_slots(
        link["id"], "2026-06-15T09:00:00", "2026-06-15T11:00:00", "UTC"
    )
    first = page.time_slots[0]
    fake_wix.add_booking(link["id"], start=_utc("2026-06-15T09:00:00"), timezone="UTC")

    after = wix_client.availability.list_time_slots(
        link["id"], "2026-06-15T09:00:00", "2026-06-15T11:00:00", "UTC"
    )

    assert len(page.time_slots) == 4
    assert first.local_start_date not in [s.local_start_date for s in after.time_slots]


def test_get_time_slot_lists_the_host(wix_client, host, link):
    slot = wix_client.availability.get_time_slot(
        link["id"], "2026-06-15T09:00:00", "2026-06-15T09:30:00", "UTC"
    )

    assert slot.bookable
    assert slot.resources == ((host["resourceId"], "Dana Host"),)


def test_bare_date_is_refused_by_availability(wix_client, link):
    with pytest.raises(WixValidationError):
        wix_client.availability.list_time_slots(link["id"], "2026-06-15", "2026-06-16", "UTC")


def test_order_found_through_the_extended_booking(wix_client, fake_wix, paid_booking):
    order = wix_client.orders.find_for_booking(paid_booking["id"])

    assert order.line_for_booking(paid_booking["id"]) is not None
    assert order.payment_status == "PAID"
    assert not fake_wix.requests_to("/ecom/v1/orders/search")


def test_order_search_by_catalog_item_id(wix_client, fake_wix, paid_booking):
    orders = wix_client.orders.search_by_booking(paid_booking["id"])

    assert [o.line_items[0].catalog_item_id for o in orders] == [paid_booking["id"]]
    assert fake_wix.requests_to("/orders/search")[-1].json["search"]["filter"] == {
        "lineItems.catalogReference.catalogItemId": {"$hasSome": [paid_booking["id"]]}
    }


def test_refundability_then_refund_the_remainder_once(wix_client, fake_wix, paid_booking):
    order = wix_client.orders.find_for_booking(paid_booking["id"])
    payment = wix_client.orders.refundability(order.id).payments[0]

    refund = wix_client.orders.refund(
        order.id,
        [PaymentRefund(payment.payment_id, payment.remaining_refund)],
        line_item_id=order.line_for_booking(paid_booking["id"]).id,
        customer_reason="Meeting canceled",
    )

    assert payment.remaining_refund == Decimal("50.00")
    assert refund.statuses == ("SUCCEEDED",)
    after = wix_client.orders.refundability(order.id).payments[0]
    assert (after.refundable, after.refunded, after.remaining_refund) == (False, Decimal("50.00"), 0)
    assert fake_wix.refunds[0]["request"]["paymentRefunds"][0]["amount"] == {"amount": "50.00"}
    assert wix_client.orders.get(order.id).payment_status == "FULLY_REFUNDED"


def test_second_refund_beyond_the_paid_amount_is_refused(wix_client, fake_wix, paid_booking):
    order = wix_client.orders.find_for_booking(paid_booking["id"])
    payment_id = wix_client.orders.refundability(order.id).payments[0].payment_id
    wix_client.orders.refund(order.id, [PaymentRefund(payment_id, Decimal("50.00"))])

    with pytest.raises(WixValidationError) as caught:
        wix_client.orders.refund(order.id, [PaymentRefund(payment_id, Decimal("50.00"))])

    assert caught.value.code == "INVALID_PAYMENT_REFUND_AMOUNT"
    assert len(fake_wix.refunds) == 1


def test_partial_payments_each_refund_their_remainder(wix_client, fake_wix, link):
    booking = fake_wix.add_booking(link["id"], payments=["10.00", "40.00"])
    order = wix_client.orders.find_for_booking(booking["id"])

    payments = wix_client.orders.refundability(order.id).payments

    assert [p.remaining_refund for p in payments] == [Decimal("10.00"), Decimal("40.00")]


def test_transactions_list_payments_and_refunds(wix_client, paid_booking):
    order = wix_client.orders.find_for_booking(paid_booking["id"])
    payment_id = wix_client.orders.refundability(order.id).payments[0].payment_id
    wix_client.orders.refund(order.id, [PaymentRefund(payment_id, Decimal("20"))])

    transactions = wix_client.orders.transactions(order.id)

    assert transactions.order_id == order.id
    assert len(transactions.payments) == 1
    assert len(transactions.refunds) == 1


def _utc(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=UTC)
