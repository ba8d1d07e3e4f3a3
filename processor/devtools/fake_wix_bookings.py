"""Fake Wix: bookings (reader and writer) and availability time slots."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from processor.devtools.fake_wix_core import (
    STAFF_RESOURCE_TYPE_ID,
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    bump_revision,
    check_revision,
    invalid_field,
    matches,
    order_for_booking,
    price,
    to_wix_time,
)
from processor.devtools.fake_wix_hours import slot_starts

routes = RouteTable()
READER = r"(?:/_api/bookings-reader|/bookings/bookings-reader)/v2/extended-bookings/query"
WRITER = r"(?:/_api/bookings-service/v2|/bookings/v2)/bookings/(?P<booking_id>[^/]+)"
SLOTS = r"/_api/service-availability/v2/time-slots"
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
ACTIVE = ("CREATED", "CONFIRMED", "PENDING")


def local_slot_time(moment: datetime, timezone: str) -> str:
    """A booking slot's wall-clock time with offset, as Wix writes it."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%dT%H:%M:%S.000") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]


def utc_from_slot(value: str, timezone: str) -> datetime:
    """A slot time (wall clock, with or without offset) in UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)


def _booking_or_404(state: FakeState, booking_id: str) -> JsonDict:
    if booking_id not in state.bookings:
        raise FakeWixError(404, f"booking {booking_id} not found", code="BOOKING_NOT_FOUND")
    return state.bookings[booking_id]


def _extended(state: FakeState, booking: JsonDict, req: FakeRequest) -> JsonDict:
    item: JsonDict = {"booking": booking}
    if req.body.get("withBookingAllowedActions"):
        active = booking["status"] in ACTIVE
        item["allowedActions"] = {"cancel": active, "reschedule": active}
    order = order_for_booking(state, booking["id"])
    if req.body.get("withEcomOrder") and order is not None:
        total = Decimal(order["priceSummary"]["total"]["amount"])
        paid = sum((p["amount"] for p in state.payments.get(order["id"], [])), Decimal(0))
        item["order"] = {
            "id": order["id"],
            "number": order["number"],
            "status": order["status"],
            "paymentStatus": order["paymentStatus"],
            "totalPrice": price(total, order["currency"]),
            "balance": price(total - paid, order["currency"]),
            "currency": order["currency"],
        }
    return item


@routes.add("POST", READER)
def query_extended_bookings(state: FakeState, req: FakeRequest) -> JsonDict:
    query = req.body.get("query") or {}
    query_filter = query.get("filter") or {}
    if len(query_filter) > 1:
        raise invalid_field("query.filter", "only one filter field is supported per query")
    paging = query.get("cursorPaging") or {}
    limit = min(int(paging.get("limit") or 50), 100)
    offset = int(paging["cursor"]) if paging.get("cursor") else 0
    found = [b for b in state.bookings.values() if matches(b, query_filter)]
    page = found[offset : offset + limit]
    has_next = offset + limit < len(found)
    cursors = {"next": str(offset + limit) if has_next else None, "prev": None}
    return {
        "extendedBookings": [_extended(state, b, req) for b in page],
        "pagingMetadata": {"count": len(page), "cursors": cursors, "hasNext": has_next},
    }


@routes.add("POST", f"{WRITER}/cancel")
def cancel_booking(state: FakeState, req: FakeRequest, booking_id: str) -> JsonDict:
    booking = _booking_or_404(state, booking_id)
    check_revision(booking, req.body.get("revision"), "revision")
    if booking["status"] not in ACTIVE:
        raise FakeWixError(400, f"booking is {booking['status']}", code="INVALID_BOOKING_STATUS")
    booking["status"] = "CANCELED"
    bump_revision(booking)
    return {"booking": booking}


@routes.add("POST", f"{WRITER}/confirm")
def confirm_booking(state: FakeState, req: FakeRequest, booking_id: str) -> JsonDict:
    booking = _booking_or_404(state, booking_id)
    check_revision(booking, req.body.get("revision"), "revision")
    if booking["status"] not in ("CREATED", "PENDING"):
        raise FakeWixError(400, f"booking is {booking['status']}", code="INVALID_BOOKING_STATUS")
    booking["status"] = "CONFIRMED"
    bump_revision(booking)
    return {"booking": booking}


@routes.add("POST", f"{WRITER}/reschedule")
def reschedule_booking(state: FakeState, req: FakeRequest, booking_id: str) -> JsonDict:
    booking = _booking_or_404(state, booking_id)
    check_revision(booking, req.body.get("revision"), "revision")
    slot = req.body.get("slot") or {}
    if not slot.get("startDate") or not slot.get("endDate"):
        raise invalid_field("slot.startDate", "must not be empty")
    old = booking["bookedEntity"]["slot"]
    timezone = slot.get("timezone") or old.get("timezone") or "UTC"
    start, end = utc_from_slot(slot["startDate"], timezone), utc_from_slot(slot["endDate"], timezone)
    for other in state.bookings.values():
        other_slot = other["bookedEntity"]["slot"]
        if (
            other["id"] != booking_id
            and other["status"] in ACTIVE
            and (
                other_slot.get("serviceId") == (slot.get("serviceId") or old.get("serviceId"))
                and other["startDate"] < to_wix_time(end)
                and to_wix_time(start) < other["endDate"]
            )
        ):
            raise FakeWixError(400, "the slot is taken", code="SLOT_NOT_AVAILABLE")
    new_slot = {**old, **slot, "timezone": timezone}
    new_slot["startDate"], new_slot["endDate"] = (
        local_slot_time(start, timezone),
        local_slot_time(end, timezone),
    )
    booking["bookedEntity"]["slot"] = new_slot
    booking["startDate"], booking["endDate"] = to_wix_time(start), to_wix_time(end)
    bump_revision(booking)
    return {"booking": booking}


def _service_for_slots(state: FakeState, req: FakeRequest) -> JsonDict:
    service = state.services.get(req.body.get("serviceId") or "")
    if service is None:
        raise FakeWixError(404, "service not found", code="SERVICE_NOT_FOUND")
    return service


def _local(req: FakeRequest, key: str) -> datetime:
    value = str(req.body.get(key) or "")
    if not LOCAL_TIME.fullmatch(value):
        raise invalid_field(key, "expected a local date-time YYYY-MM-DDThh:mm:ss")
    return datetime.fromisoformat(value)


def _time_zone(req: FakeRequest) -> str:
    tz = str(req.body.get("timeZone") or "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_field("timeZone", f"not a supported time zone: {tz}") from None
    return tz


def _slots(state: FakeState, service: JsonDict, start: datetime, end: datetime, tz: str) -> list[JsonDict]:
    """Slots of a service in [start, end) local to `tz`: its hosts' working hours (their own or the
    business's, fake_wix_hours) minus their days off, each marked taken by an active booking."""
    minutes = (service["schedule"].get("availabilityConstraints") or {}).get("sessionDurations") or [30]
    length = timedelta(minutes=int(minutes[0]))
    hosts = [m for m in state.staff.values() if m["resourceId"] in service.get("staffMemberIds", [])]
    taken = [
        (b["startDate"], b["endDate"])
        for b in state.bookings.values()
        if b["status"] in ACTIVE and b["bookedEntity"]["slot"].get("serviceId") == service["id"]
    ]
    zone, slots = ZoneInfo(tz), []
    for utc_start, free_hosts in slot_starts(state, hosts, start, end, tz, length):
        utc_end = utc_start + length
        free = not any(s < to_wix_time(utc_end) and to_wix_time(utc_start) < e for s, e in taken)
        local_start, local_end = (t.astimezone(zone).replace(tzinfo=None) for t in (utc_start, utc_end))
        resources = [{"id": m["resourceId"], "name": m["name"]} for m in free_hosts]
        slots.append(_slot(service, local_start, local_end, free, resources))
    return slots


def _slot(
    service: JsonDict, start: datetime, end: datetime, free: bool, resources: list[JsonDict]
) -> JsonDict:
    return {
        "serviceId": service["id"],
        "scheduleId": service["schedule"]["id"],
        "localStartDate": start.isoformat(),
        "localEndDate": end.isoformat(),
        "bookable": free,
        "location": {"id": None, "name": None, "locationType": "BUSINESS"},
        "remainingCapacity": 1 if free else 0,
        "availableResources": [{"resourceTypeId": STAFF_RESOURCE_TYPE_ID, "resources": resources}],
        "nonBookableReasons": {} if free else {"noRemainingCapacity": True},
    }


@routes.add("POST", SLOTS)
def list_time_slots(state: FakeState, req: FakeRequest) -> JsonDict:
    service = _service_for_slots(state, req)
    start, end = _local(req, "fromLocalDate"), _local(req, "toLocalDate")
    tz = _time_zone(req)
    slots = [s for s in _slots(state, service, start, end, tz) if s["bookable"]]
    if not req.body.get("includeResourceTypeIds"):
        slots = [{k: v for k, v in s.items() if k != "availableResources"} for s in slots]
    return {"timeSlots": slots, "timeZone": tz, "cursorPagingMetadata": {"count": len(slots), "cursors": {}}}


@routes.add("POST", f"{SLOTS}/get")
def get_time_slot(state: FakeState, req: FakeRequest) -> JsonDict:
    service = _service_for_slots(state, req)
    start, end = _local(req, "localStartDate"), _local(req, "localEndDate")
    tz = _time_zone(req)
    day_start = datetime.combine(start.date(), datetime.min.time())
    for slot in _slots(state, service, day_start, day_start + timedelta(days=1), tz):
        if slot["localStartDate"] == start.isoformat() and slot["localEndDate"] == end.isoformat():
            return {"timeSlot": slot, "timeZone": tz}
    raise FakeWixError(404, "no such slot", code="SLOT_NOT_FOUND")


def default_start(days_ahead: int = 7) -> datetime:
    """A weekday-agnostic 14:00 UTC a few days from now, for seeded bookings."""
    day = date.today() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=UTC)
