"""Bookings V2: read extended bookings, cancel and reschedule with the booking's revision."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from processor.wix.paths import segment
from processor.wix.services import MEETINGS_APP_ID
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, as_revision, dig, read_entity, read_list, read_price

EXTENDED_QUERY_PATH = "/_api/bookings-reader/v2/extended-bookings/query"
BOOKINGS_WRITER_PATH = "/_api/bookings-service/v2/bookings"
PAID_STATUSES = ("PAID", "PARTIALLY_PAID")


@dataclass(frozen=True)
class SlotResource:
    """`slot.resource`: the host; `id` may be the staff `resourceId` or `id` (assumption #26)."""

    id: str | None
    name: str | None = None
    email: str | None = None
    schedule_id: str | None = None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> SlotResource:
        return cls(raw.get("id"), raw.get("name"), raw.get("email"), raw.get("scheduleId"))


@dataclass(frozen=True)
class Slot:
    """`bookedEntity.slot`: service, schedule, local times with their zone, host and location."""

    service_id: str | None
    schedule_id: str | None
    start_date: str | None
    end_date: str | None
    timezone: str | None
    resource: SlotResource | None
    location_type: str | None
    raw: JsonDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Slot:
        resource = raw.get("resource")
        return cls(
            service_id=raw.get("serviceId"),
            schedule_id=raw.get("scheduleId"),
            start_date=raw.get("startDate"),
            end_date=raw.get("endDate"),
            timezone=raw.get("timezone"),
            resource=SlotResource.from_wire(resource) if isinstance(resource, dict) else None,
            location_type=dig(raw, "location", "locationType"),
            raw=raw,
        )

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {
            k: v
            for k, v in {
                "serviceId": self.service_id,
                "scheduleId": self.schedule_id,
                "startDate": self.start_date,
                "endDate": self.end_date,
                "timezone": self.timezone,
            }.items()
            if v is not None
        }
        if self.resource is not None:
            resource = {"id": self.resource.id, "name": self.resource.name}
            wire["resource"] = {k: v for k, v in resource.items() if v is not None}
        if self.location_type is not None:
            wire["location"] = {"locationType": self.location_type}
        return wire


@dataclass(frozen=True)
class ContactDetails:
    """`booking.contactDetails`: the attendee."""

    contact_id: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    time_zone: str | None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> ContactDetails:
        return cls(
            raw.get("contactId"),
            raw.get("firstName"),
            raw.get("lastName"),
            raw.get("email"),
            raw.get("phone"),
            raw.get("timeZone"),
        )


@dataclass(frozen=True)
class Booking:
    """A Bookings V2 booking (REST names); `revision` as an int."""

    id: str
    revision: int | None
    app_id: str | None
    status: str | None
    payment_status: str | None
    selected_payment_option: str | None
    start_date: str | None
    end_date: str | None
    slot: Slot | None
    contact: ContactDetails | None
    source_app_def_id: str | None
    updated_date: str | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Booking:
        slot, contact = dig(raw, "bookedEntity", "slot"), raw.get("contactDetails")
        return cls(
            id=raw["id"],
            revision=as_revision(raw.get("revision")),
            app_id=raw.get("appId"),
            status=raw.get("status"),
            payment_status=raw.get("paymentStatus"),
            selected_payment_option=raw.get("selectedPaymentOption"),
            start_date=raw.get("startDate"),
            end_date=raw.get("endDate"),
            slot=Slot.from_wire(slot) if isinstance(slot, dict) else None,
            contact=ContactDetails.from_wire(contact) if isinstance(contact, dict) else None,
            source_app_def_id=dig(raw, "bookingSource", "appDefId"),
            updated_date=raw.get("updatedDate"),
            raw=raw,
        )

    @property
    def is_meetings(self) -> bool:
        """Meetings by `appId` or `bookingSource.appDefId` (#9); False: check the service's appId."""
        return MEETINGS_APP_ID in (self.app_id, self.source_app_def_id)

    @property
    def is_paid_online(self) -> bool:
        return self.payment_status in PAID_STATUSES and self.selected_payment_option == "ONLINE"


@dataclass(frozen=True)
class BookingOrder:
    """The eCommerce order summary Query Extended Bookings adds with `withEcomOrder`."""

    id: str
    number: str | None
    status: str | None
    payment_status: str | None
    total: Decimal | None
    balance: Decimal | None
    currency: str | None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> BookingOrder:
        number = raw.get("number")
        return cls(
            id=raw["id"],
            number=str(number) if number is not None else None,
            status=raw.get("status"),
            payment_status=raw.get("paymentStatus"),
            total=read_price(raw.get("totalPrice")),
            balance=read_price(raw.get("balance")),
            currency=raw.get("currency"),
        )


@dataclass(frozen=True)
class ExtendedBooking:
    """A booking with what Wix allows next and its order, when asked for."""

    booking: Booking
    can_cancel: bool | None
    can_reschedule: bool | None
    order: BookingOrder | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> ExtendedBooking:
        actions, order = raw.get("allowedActions") or {}, raw.get("order")
        return cls(
            booking=Booking.from_wire(raw["booking"]),
            can_cancel=actions.get("cancel"),
            can_reschedule=actions.get("reschedule"),
            order=BookingOrder.from_wire(order) if isinstance(order, dict) and order.get("id") else None,
            raw=raw,
        )


@dataclass(frozen=True)
class ExtendedBookingPage:
    """One cursor page of Query Extended Bookings."""

    bookings: tuple[ExtendedBooking, ...]
    next_cursor: str | None


class BookingsApi:
    """Bookings V2 reader and writer calls."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def query_extended(
        self,
        query_filter: JsonDict | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        with_ecom_order: bool = False,
        with_allowed_actions: bool = False,
    ) -> ExtendedBookingPage:
        """One page of extended bookings (Wix takes one filter field per query)."""
        paging: JsonDict = {"limit": min(limit, 100)}
        if cursor:
            paging["cursor"] = cursor
        query: JsonDict = {"cursorPaging": paging}
        if query_filter and not cursor:
            query["filter"] = query_filter
        body = self._transport.call(
            "POST",
            EXTENDED_QUERY_PATH,
            json={
                "query": query,
                "withBookingAllowedActions": with_allowed_actions,
                "withEcomOrder": with_ecom_order,
            },
        )
        metadata = body.get("pagingMetadata") or {}
        next_cursor = dig(metadata, "cursors", "next") if metadata.get("hasNext") else None
        items = read_list(body, "extendedBookings", ExtendedBooking.from_wire, "Query Extended Bookings")
        return ExtendedBookingPage(tuple(items), next_cursor)

    def get_extended(
        self, booking_id: str, *, with_ecom_order: bool = True, with_allowed_actions: bool = True
    ) -> ExtendedBooking | None:
        """One booking by id with its allowed actions and order, or None when Wix has none."""
        page = self.query_extended(
            {"id": {"$eq": booking_id}},
            limit=1,
            with_ecom_order=with_ecom_order,
            with_allowed_actions=with_allowed_actions,
        )
        return page.bookings[0] if page.bookings else None

    def cancel(
        self,
        booking_id: str,
        revision: int,
        *,
        notify_participants: bool = True,
        message: str | None = None,
        with_refund: bool = False,
        waive_charges: bool = False,
    ) -> Booking:
        """Cancel at `revision`; eCommerce refunds go through OrdersApi, not `with_refund`."""
        notification: JsonDict = {"notifyParticipants": notify_participants}
        if message:
            notification["message"] = message
        body = {
            "revision": str(revision),
            "participantNotification": notification,
            "flowControlSettings": {
                "ignoreCancellationPolicy": False,
                "withRefund": with_refund,
                "waiveCancellationFee": False,
            },
            "waiveCharges": waive_charges,
        }
        return self._write(booking_id, "cancel", body)

    def reschedule(
        self, booking_id: str, revision: int, slot: Slot, *, notify_participants: bool = True
    ) -> Booking:
        """Move the booking to `slot` at `revision`."""
        body = {
            "slot": slot.to_wire(),
            "revision": str(revision),
            "participantNotification": {"notifyParticipants": notify_participants},
            "flowControlSettings": {
                "ignoreReschedulePolicy": False,
                "skipAvailabilityValidation": False,
            },
        }
        return self._write(booking_id, "reschedule", body)

    def _write(self, booking_id: str, action: str, body: dict[str, Any]) -> Booking:
        path = f"{BOOKINGS_WRITER_PATH}/{segment(booking_id, 'booking id')}/{action}"
        answer = self._transport.call("POST", path, json=body)
        return read_entity(answer, "booking", Booking.from_wire, f"{action.title()} Booking")
