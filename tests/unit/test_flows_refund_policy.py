"""The refund policy decision and what the booking flows read from an event, without Wix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from processor.meetings.refunds import policy_refusal
from processor.wix.services import Service
from processor.wix_event import WixEvent
from workers.flows.shared import BookingContext, booking_of, sequence_of

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
MEETINGS = "6646a75c-2027-4f49-976c-58f3d713ed0f"


def _booking(**changes: Any) -> dict[str, Any]:
    return {
        "id": "b-1",
        "revision": "4",
        "appId": MEETINGS,
        "status": "CANCELED",
        "paymentStatus": "PAID",
        "selectedPaymentOption": "ONLINE",
        "startDate": "2026-03-10T14:00:00.000Z",
        "endDate": "2026-03-10T14:30:00.000Z",
        "bookedEntity": {
            "title": "Intro call",
            "slot": {
                "serviceId": "s-1",
                "timezone": "Europe/Paris",
                "resource": {"id": "r-1", "name": "Dana Host", "email": "dana@example.com"},
                "location": {"locationType": "OWNER_BUSINESS"},
            },
        },
        "contactDetails": {"firstName": "Lee", "lastName": "Park", "email": "lee@example.com"},
        **changes,
    }


def _event(body: dict[str, Any], sequence: int | None = None) -> WixEvent:
    data = {"id": "e-1", "entityId": "b-1", "actionEvent": {"body": body}}
    return WixEvent("e-1", "wix.bookings.v2.booking_canceled", "i-1", "b-1", sequence, None, {"data": data})


def _context(policy: dict[str, Any] | None) -> BookingContext:
    raw: dict[str, Any] = {"id": "s-1", "appId": MEETINGS, "name": "Intro call"}
    if policy is not None:
        raw["bookingPolicy"] = {"id": "p-1", "cancellationPolicy": policy}
    booking = booking_of(_event({"booking": _booking()}))
    assert booking is not None
    return BookingContext(wix=None, booking=booking, _service=Service.from_wire(raw), _service_read=True)  # type: ignore[arg-type]


WINDOW = {"enabled": True, "limitLatestCancellation": True, "latestCancellationInMinutes": 60}


@pytest.mark.parametrize(
    ("policy", "canceled_at", "refusal"),
    [
        (WINDOW, START - timedelta(minutes=61), None),
        (WINDOW, START - timedelta(minutes=60), None),
        (WINDOW, START - timedelta(minutes=59), "canceled inside the cancellation window"),
        ({**WINDOW, "limitLatestCancellation": False}, START - timedelta(minutes=1), None),
        (None, START - timedelta(hours=25), None),  # no policy: Wix's default 24 h window
        (None, START - timedelta(hours=23), "canceled inside the cancellation window"),
    ],
)
def test_window_policy(policy: dict[str, Any] | None, canceled_at: datetime, refusal: str | None) -> None:
    context = _context(policy)

    assert policy_refusal("window", context.booking, context.service, canceled_at) == refusal


def test_always_and_never_ignore_the_window() -> None:
    context = _context(WINDOW)

    assert policy_refusal("always", context.booking, context.service, START) is None
    assert (
        policy_refusal("never", context.booking, context.service, START - timedelta(days=30))
        == "refund policy is never"
    )


def test_sequence_is_the_event_sequence_else_the_booking_revision() -> None:
    body = {"booking": _booking()}

    assert sequence_of(_event(body, sequence=7), booking_of(_event(body))) == 7  # type: ignore[arg-type]
    assert sequence_of(_event(body), booking_of(_event(body))) == 4  # type: ignore[arg-type]


def test_meeting_details_come_from_the_booking_in_utc() -> None:
    details = _context(WINDOW).details()

    assert details is not None
    assert (details.start_utc, details.end_utc) == (START, START + timedelta(minutes=30))
    assert (details.host_email, details.customer_name, details.revision) == (
        "dana@example.com",
        "Lee Park",
        4,
    )
    assert details.service_name == "Intro call"


def test_a_booking_without_meetings_ids_is_decided_by_its_service() -> None:
    context = _context(WINDOW)
    other = BookingContext(
        wix=None,  # type: ignore[arg-type]
        booking=booking_of(_event({"booking": _booking(appId="13d21c63-b5ec-5912-8397-c3a5ddb27a97")})),  # type: ignore[arg-type]
        _service=Service.from_wire({"id": "s-1", "appId": "13d21c63-b5ec-5912-8397-c3a5ddb27a97"}),
        _service_read=True,
    )

    assert context.is_meetings() is True
    assert other.is_meetings() is False
