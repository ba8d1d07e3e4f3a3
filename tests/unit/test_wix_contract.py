"""Contract: the payloads and field names of wix-api.md go through our models unchanged."""

from decimal import Decimal
from typing import Any

import pytest

from processor.wix.availability import TimeSlot, booking_location_type
from processor.wix.bookings import Booking, BookingsApi, ExtendedBooking, Slot, SlotResource
from processor.wix.calendars import CalendarConnection, read_oauth_url, sync_config
from processor.wix.orders import OrdersApi, PaymentRefund, Refundability
from processor.wix.provisioning import MeetingsProvisioning
from processor.wix.services import MEETINGS_APP_ID, Service, ServicePayment, online_booking_changes
from processor.wix.staff import StaffMember

# §1.2 worked example, layer 3 `actionEvent.body.booking` (ids completed where the doc shortens them).
CANCELED_BOOKING = {
    "id": "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e",
    "revision": "4",
    "appId": "6646a75c-2027-4f49-976c-58f3d713ed0f",
    "status": "CANCELED",
    "paymentStatus": "PAID",
    "selectedPaymentOption": "ONLINE",
    "startDate": "2026-03-10T14:00:00.000Z",
    "endDate": "2026-03-10T14:30:00.000Z",
    "bookedEntity": {
        "slot": {
            "serviceId": "3d1f",
            "scheduleId": "77aa",
            "timezone": "Europe/Paris",
            "startDate": "2026-03-10T15:00:00.000+01:00",
            "endDate": "2026-03-10T15:30:00.000+01:00",
            "resource": {
                "id": "c0de",
                "name": "Dana Host",
                "email": "dana@example.com",
                "scheduleId": "e5e5",
            },
            "location": {"locationType": "OWNER_BUSINESS"},
        }
    },
    "contactDetails": {"contactId": "1a2b", "firstName": "Lee", "email": "lee@example.com"},
}
# §4.1 examples.
PAYMENT_UPDATE = {
    "service": {
        "id": "3d1f",
        "revision": "5",
        "payment": {
            "rateType": "FIXED",
            "fixed": {
                "price": {"value": "50.00", "currency": "USD"},
                "deposit": {"value": "10.00", "currency": "USD"},
            },
            "options": {"online": True, "inPerson": False, "deposit": True},
        },
    }
}
DEACTIVATE_UPDATE = {
    "service": {
        "id": "3d1f",
        "revision": "6",
        "onlineBooking": {"enabled": False, "requireManualApproval": False, "allowMultipleRequests": False},
        "extendedFields": {
            "namespaces": {"@services/meetings": {"deactivatedRedirectUrl": "https://example.com/away"}}
        },
    }
}
# §4.8 refund request.
REFUND_REQUEST = {
    "orderId": "9f8e",
    "paymentRefunds": [{"paymentId": "p-01", "amount": {"amount": "50.00"}, "externalRefund": False}],
    "refundItems": {"lineItems": [{"lineItemId": "li-01", "quantity": 1}]},
    "sideEffects": {"notifications": {"sendCustomerEmail": True, "customMessage": "…"}},
    "customerReason": "Meeting canceled",
}
# §2.4 connection.
BROKEN_CONNECTION = {
    "id": "Y2Fs",
    "providerId": "prov",
    "calendarType": "GOOGLE",
    "scheduleId": "e5e5",
    "status": "ERROR",
    "errorReason": "TOKEN_REVOKED",
    "syncConfig": {
        "listEventFromCalendars": {"enabled": True, "primaryCalendar": {}},
        "syncToCalendar": {"enabled": True, "primaryCalendar": {}},
    },
}


class RecordingTransport:
    """Stands in for WixTransport: records each call, answers from a script."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self._answers = list(answers)

    def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> dict[str, Any]:
        self.calls.append((method, path, json))
        return self._answers.pop(0)


def test_worked_canceled_booking_example_reads_field_by_field():
    booking = Booking.from_wire(CANCELED_BOOKING)

    assert booking.is_meetings
    assert booking.revision == 4
    assert (booking.status, booking.payment_status, booking.selected_payment_option) == (
        "CANCELED",
        "PAID",
        "ONLINE",
    )
    assert booking.is_paid_online
    assert (booking.start_date, booking.end_date) == ("2026-03-10T14:00:00.000Z", "2026-03-10T14:30:00.000Z")
    assert booking.slot == Slot(
        service_id="3d1f",
        schedule_id="77aa",
        start_date="2026-03-10T15:00:00.000+01:00",
        end_date="2026-03-10T15:30:00.000+01:00",
        timezone="Europe/Paris",
        resource=SlotResource("c0de", "Dana Host", "dana@example.com", "e5e5"),
        location_type="OWNER_BUSINESS",
    )
    assert (booking.contact.contact_id, booking.contact.first_name, booking.contact.email) == (
        "1a2b",
        "Lee",
        "lee@example.com",
    )


def test_booking_source_app_def_id_also_marks_meetings():
    raw = {**CANCELED_BOOKING, "appId": None, "bookingSource": {"appDefId": MEETINGS_APP_ID}}

    assert Booking.from_wire(raw).is_meetings


def test_service_payment_example_round_trips():
    wire = PAYMENT_UPDATE["service"]["payment"]

    payment = ServicePayment.from_wire(wire)

    assert (payment.price.value, payment.deposit.value) == (Decimal("50.00"), Decimal("10.00"))
    assert payment.online
    assert not payment.in_person
    assert payment.deposit_enabled
    assert payment.to_wire() == wire


def test_deactivate_example_is_what_we_send_and_what_we_read():
    changes = online_booking_changes(False, "https://example.com/away")
    service = Service.from_wire(DEACTIVATE_UPDATE["service"])

    assert {**changes, "id": "3d1f", "revision": "6"} == DEACTIVATE_UPDATE["service"]
    assert (service.revision, service.online_booking_enabled) == (6, False)
    assert service.deactivated_redirect_url == "https://example.com/away"


def test_reactivate_sends_no_redirect():
    assert online_booking_changes(True) == {
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False}
    }


def test_refund_request_body_matches_the_documented_example():
    transport = RecordingTransport({"refund": {"id": "r-1", "transactions": [{"refundStatus": "PENDING"}]}})
    orders = OrdersApi(transport, BookingsApi(transport))  # type: ignore[arg-type]

    refund = orders.refund(
        "9f8e",
        [PaymentRefund("p-01", Decimal("50.00"))],
        line_item_id="li-01",
        custom_message="…",
        customer_reason="Meeting canceled",
    )

    assert transport.calls == [("POST", "/ecom/v1/order-billing/refund-payments", REFUND_REQUEST)]
    assert refund.statuses == ("PENDING",)


def test_cancel_request_body_matches_the_documented_example():
    transport = RecordingTransport({"booking": CANCELED_BOOKING})

    BookingsApi(transport).cancel("b7e1", 7, message="…")  # type: ignore[arg-type]

    method, path, body = transport.calls[0]
    assert (method, path) == ("POST", "/_api/bookings-service/v2/bookings/b7e1/cancel")
    assert body == {
        "revision": "7",
        "participantNotification": {"notifyParticipants": True, "message": "…"},
        "flowControlSettings": {
            "ignoreCancellationPolicy": False,
            "withRefund": False,
            "waiveCancellationFee": False,
        },
        "waiveCharges": False,
    }


def test_reschedule_request_body_matches_the_documented_example():
    transport = RecordingTransport({"booking": CANCELED_BOOKING})
    slot = Slot(
        "3d1f", "77aa", "2026-01-30T13:30:00", "2026-01-30T14:00:00", "Europe/Dublin",
        SlotResource("c0de", "Dana Host"), "OWNER_BUSINESS",
    )  # fmt: skip

    BookingsApi(transport).reschedule("b7e1", 7, slot)  # type: ignore[arg-type]

    assert transport.calls[0][2] == {
        "slot": {
            "serviceId": "3d1f",
            "scheduleId": "77aa",
            "startDate": "2026-01-30T13:30:00",
            "endDate": "2026-01-30T14:00:00",
            "timezone": "Europe/Dublin",
            "resource": {"id": "c0de", "name": "Dana Host"},
            "location": {"locationType": "OWNER_BUSINESS"},
        },
        "revision": "7",
        "participantNotification": {"notifyParticipants": True},
        "flowControlSettings": {"ignoreReschedulePolicy": False, "skipAvailabilityValidation": False},
    }


def test_extended_booking_response_shape():
    raw = {
        "booking": CANCELED_BOOKING,
        "allowedActions": {"cancel": False, "reschedule": False},
        "order": {
            "id": "9f8e",
            "number": "10001",
            "status": "APPROVED",
            "paymentStatus": "PAID",
            "totalPrice": {"amount": "50.00", "formattedAmount": "$50.00"},
            "balance": {"amount": "0", "formattedAmount": "$0.00"},
            "currency": "USD",
        },
    }

    extended = ExtendedBooking.from_wire(raw)

    assert (extended.can_cancel, extended.can_reschedule) == (False, False)
    assert (extended.order.id, extended.order.total, extended.order.balance) == (
        "9f8e",
        Decimal("50.00"),
        Decimal(0),
    )


def test_documented_connection_reads_as_broken_with_both_directions_on():
    connection = CalendarConnection.from_wire(BROKEN_CONNECTION)

    assert (connection.status, connection.error_reason, connection.is_broken) == (
        "ERROR",
        "TOKEN_REVOKED",
        True,
    )
    assert (connection.import_enabled, connection.export_enabled) == (True, True)
    assert sync_config(import_enabled=True, export_enabled=True) == BROKEN_CONNECTION["syncConfig"]


@pytest.mark.parametrize("key", ["oauthUrl", "oAUthUrl", "oAuthUrl"])
def test_oauth_url_is_read_under_every_spelling(key):
    assert read_oauth_url({key: "https://accounts.example/consent"}) == "https://accounts.example/consent"


def _refundability_payment(paid: Any, refunded: Any, pending: Any, max_refund: Any) -> dict[str, Any]:
    return {
        "refundable": True,
        "payment": {
            "paymentId": "p-01",
            "paymentMethod": "CREDIT_CARD",
            "offlinePayment": False,
            "monetary": {
                "paid": paid,
                "refunded": refunded,
                "refundPending": pending,
                "maxRefund": max_refund,
            },
        },
        "providerLink": None,
    }


@pytest.mark.parametrize(
    "monetary",
    [
        ({"amount": "50.00"}, {"amount": "20.00"}, {"amount": "5.00"}, {"amount": "30.00"}),
        ("50.00", "20.00", "5.00", "30.00"),
    ],
    ids=["price-objects", "decimal-strings"],
)
def test_refundability_accepts_price_objects_or_decimal_strings(monetary):
    raw = {
        "payments": [
            _refundability_payment(*monetary),
            {"nonRefundable": {"reason": "GIFT_CARD"}, "payment": {"paymentId": "p-02", "monetary": {}}},
        ],
        "paymentsSummary": {},
        "lineItems": [],
    }

    first, second = Refundability.from_wire(raw).payments

    assert (first.paid, first.refunded, first.refund_pending) == (
        Decimal("50.00"),
        Decimal("20.00"),
        Decimal("5.00"),
    )
    assert first.remaining_refund == Decimal("25.00")  # min(50 - 20 - 5, 30)
    assert (second.refundable, second.non_refundable_reason, second.remaining_refund) == (
        False,
        "GIFT_CARD",
        0,
    )


def test_provisioning_service_id_found_top_level_or_one_down():
    wrapped = {"provisioning": {"serviceId": "s1", "bookingFormId": "f1", "bookingPolicyId": "p1"}}

    assert MeetingsProvisioning.from_wire(wrapped).service_id == "s1"
    assert MeetingsProvisioning.from_wire({"serviceId": "s2"}).service_id == "s2"
    assert MeetingsProvisioning.from_wire({}).service_id is None


def test_staff_member_with_resource_details():
    raw = {
        "id": "st-1",
        "name": "Dana Host",
        "email": "dana@example.com",
        "resourceId": "c0de",
        "resource": {"id": "c0de", "workingHoursSchedules": [], "eventsSchedule": {"id": "e5e5"}},
        "associatedWixIdentity": {"connection": {"status": "CONNECTED"}},
        "revision": "3",
    }

    member = StaffMember.from_wire(raw)

    assert (member.resource_id, member.events_schedule_id, member.connection_status, member.revision) == (
        "c0de",
        "e5e5",
        "CONNECTED",
        3,
    )
    assert member.matches_resource("c0de")
    assert member.matches_resource("st-1")


def test_time_slot_shape_and_location_mapping():
    raw = {
        "serviceId": "3d1f",
        "scheduleId": "77aa",
        "localStartDate": "2026-06-15T08:00:00",
        "localEndDate": "2026-06-15T08:30:00",
        "bookable": True,
        "location": {"id": None, "name": None, "locationType": "CUSTOMER"},
        "remainingCapacity": 1,
        "availableResources": [{"resourceTypeId": "t", "resources": [{"id": "c0de", "name": "Dana Host"}]}],
    }

    slot = TimeSlot.from_wire(raw)

    assert slot.resources == (("c0de", "Dana Host"),)
    assert [booking_location_type(t) for t in ("BUSINESS", "CUSTOM", slot.location_type)] == [
        "OWNER_BUSINESS",
        "OWNER_CUSTOM",
        "CUSTOM",
    ]
