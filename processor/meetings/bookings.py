"""Bookings: list and show, free slots in the host's time zone, reschedule and cancel (refunding once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from processor.meetings.errors import NotAllowedError, NotFoundError
from processor.meetings.hosts import find_host
from processor.meetings.refunds import REFUND_REASON, RefundResult, refund_booking_once
from processor.store.ledger import Ledger
from processor.wix import WixClient, WixNotFoundError
from processor.wix.availability import booking_location_type
from processor.wix.bookings import Booking, ExtendedBooking, Slot, SlotResource
from processor.wix.revisions import at_current_revision

PAGE_SIZE = 100


@dataclass(frozen=True)
class BookingView:
    """A booking as ops see it: when (UTC and local), who, state, what Wix allows next."""

    booking_id: str
    revision: int | None
    status: str | None
    payment_status: str | None
    start_utc: str | None
    end_utc: str | None
    local_start: str | None
    timezone: str | None
    service_id: str | None
    host: str | None
    attendee: str | None
    can_cancel: bool | None
    can_reschedule: bool | None
    order_id: str | None

    @classmethod
    def from_booking(cls, b: Booking, extended: ExtendedBooking | None = None) -> BookingView:
        slot, contact = b.slot, b.contact
        resource = slot.resource if slot else None
        attendee = None
        if contact:
            who = " ".join(p for p in (contact.first_name, contact.last_name) if p)
            attendee = f"{who} <{contact.email}>" if contact.email else who or None
        return cls(
            booking_id=b.id,
            revision=b.revision,
            status=b.status,
            payment_status=b.payment_status,
            start_utc=b.start_date,
            end_utc=b.end_date,
            local_start=(slot.start_date or "")[:16] or None if slot else None,
            timezone=slot.timezone if slot else None,
            service_id=slot.service_id if slot else None,
            host=(resource.email or resource.name) if resource else None,
            attendee=attendee,
            can_cancel=extended.can_cancel if extended else None,
            can_reschedule=extended.can_reschedule if extended else None,
            order_id=extended.order.id if extended and extended.order else None,
        )


@dataclass(frozen=True)
class FreeSlot:
    """A bookable slot, local wall-clock time in `timezone`."""

    start: str
    end: str
    timezone: str


@dataclass(frozen=True)
class CancelResult:
    """A canceled booking and, with --refund, what the exactly-once refund did."""

    booking: BookingView
    already_canceled: bool
    refund: RefundResult | None


def list_bookings(
    wix: WixClient,
    *,
    host_email: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[BookingView]:
    """Meetings bookings starting in [from, to] (UTC days; default: from today on), oldest first."""
    resource_ids: set[str] = set()
    if host_email:
        host = find_host(wix, host_email)
        resource_ids = {i for i in (host.resource_id, host.id) if i}
    meetings_ids = {s.id for s in wix.services.query_meetings()}
    start = datetime.combine(date_from or datetime.now(UTC).date(), datetime.min.time(), UTC)
    window: dict[str, str] = {"$gte": _wix_time(start)}
    if date_to:
        window["$lt"] = _wix_time(datetime.combine(date_to + timedelta(days=1), datetime.min.time(), UTC))
    found: list[BookingView] = []
    cursor: str | None = None
    seen = 0
    while True:
        page = wix.bookings.query_extended({"startDate": window}, limit=PAGE_SIZE, cursor=cursor)
        for item in page.bookings:
            b = item.booking
            seen += 1
            slot = b.slot
            if not (b.is_meetings or (slot and slot.service_id in meetings_ids)):
                continue
            resource = slot.resource if slot else None
            if resource_ids and not (resource and resource.id in resource_ids):
                continue
            found.append(BookingView.from_booking(b, item))
        if progress:
            progress(seen)
        cursor = page.next_cursor
        if not cursor:
            break
    return sorted(found, key=lambda v: v.start_utc or "")


def _wix_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def get_booking(wix: WixClient, booking_id: str) -> ExtendedBooking:
    """One booking with its allowed actions and order; NotFoundError when Wix has none."""
    try:
        found = wix.bookings.get_extended(booking_id)
    except WixNotFoundError:
        found = None
    if found is None:
        raise NotFoundError(f"no booking with id {booking_id} on this site")
    return found


def show_booking(wix: WixClient, booking_id: str) -> BookingView:
    """One booking as ops see it."""
    found = get_booking(wix, booking_id)
    return BookingView.from_booking(found.booking, found)


def _slot_of(booking: Booking) -> tuple[Slot, str, str]:
    slot = booking.slot
    if slot is None or not slot.service_id:
        raise NotAllowedError(f"booking {booking.id} is not booked into a time slot (not a meeting)")
    return slot, slot.service_id, slot.timezone or "UTC"


def list_slots(wix: WixClient, booking_id: str, date_from: date, date_to: date) -> list[FreeSlot]:
    """Free slots of the booking's link between two local days (inclusive), in the booking's zone."""
    _, service_id, tz = _slot_of(get_booking(wix, booking_id).booking)
    end = date_to + timedelta(days=1)
    page = wix.availability.list_time_slots(
        service_id, f"{date_from.isoformat()}T00:00:00", f"{end.isoformat()}T00:00:00", tz
    )
    zone = page.time_zone or tz
    return [FreeSlot(s.local_start_date, s.local_end_date, zone) for s in page.time_slots if s.bookable]


def reschedule(wix: WixClient, booking_id: str, local_start: datetime) -> BookingView:
    """Move the booking to the slot starting at `local_start` (its time zone), re-checking the slot first."""

    def attempt() -> BookingView:
        extended = get_booking(wix, booking_id)
        booking = extended.booking
        if extended.can_reschedule is False:
            raise NotAllowedError(f"Wix does not allow rescheduling this booking (status {booking.status})")
        old, service_id, tz = _slot_of(booking)
        service = wix.services.get(service_id)
        minutes = service.session_durations[0] if service.session_durations else _length(booking)
        start = local_start.strftime("%Y-%m-%dT%H:%M:%S")
        end = (local_start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")
        try:
            slot = wix.availability.get_time_slot(service_id, start, end, tz)
        except WixNotFoundError:
            raise NotAllowedError(f"no slot starts at {start} ({tz}); see `bookings slots`") from None
        if not slot.bookable:
            raise NotAllowedError(f"the slot at {start} ({tz}) is no longer free")
        resource = old.resource
        offered = dict(slot.resources)
        if offered and (resource is None or resource.id not in offered):
            rid = next(iter(offered))
            resource = SlotResource(rid, offered[rid])
        new_slot = Slot(
            service_id=service_id,
            schedule_id=slot.schedule_id or old.schedule_id,
            start_date=slot.local_start_date,
            end_date=slot.local_end_date,
            timezone=tz,
            resource=SlotResource(resource.id, resource.name) if resource else None,
            location_type=booking_location_type(slot.location_type),
        )
        return BookingView.from_booking(wix.bookings.reschedule(booking_id, booking.revision or 0, new_slot))

    return at_current_revision(attempt, what=f"booking {booking_id}")


def _length(booking: Booking) -> int:
    if booking.start_date and booking.end_date:
        start = datetime.fromisoformat(booking.start_date.replace("Z", "+00:00"))
        end = datetime.fromisoformat(booking.end_date.replace("Z", "+00:00"))
        return int((end - start).total_seconds() // 60)
    return 30


def cancel(wix: WixClient, ledger: Ledger, booking_id: str, *, refund: bool) -> CancelResult:
    """Cancel at the current revision; with `refund`, refund its eCommerce payments exactly once."""

    def attempt() -> tuple[Booking, ExtendedBooking, bool]:
        extended = get_booking(wix, booking_id)
        booking = extended.booking
        if booking.status == "CANCELED":
            return booking, extended, True
        if extended.can_cancel is False:
            raise NotAllowedError(f"Wix does not allow canceling this booking (status {booking.status})")
        return wix.bookings.cancel(booking_id, booking.revision or 0), extended, False

    canceled, extended, already = at_current_revision(attempt, what=f"booking {booking_id}")
    refunded = refund_booking_once(wix, ledger, booking_id, reason=REFUND_REASON) if refund else None
    return CancelResult(BookingView.from_booking(canceled, extended), already, refunded)
