"""Availability Time Slots V2: free slots of a service, and a re-check of one slot."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, dig, read_entity, read_list

LIST_PATH = "/_api/service-availability/v2/time-slots"
GET_PATH = "/_api/service-availability/v2/time-slots/get"

# Time slots say BUSINESS/CUSTOM/CUSTOMER; bookings take OWNER_BUSINESS/OWNER_CUSTOM/CUSTOM.
# Wix API assumption #22: a CUSTOMER location books as CUSTOM.
_BOOKING_LOCATION_TYPES = {
    "BUSINESS": "OWNER_BUSINESS",
    "CUSTOM": "OWNER_CUSTOM",
    "CUSTOMER": "CUSTOM",
}


def booking_location_type(time_slot_location_type: str | None) -> str:
    """The booking's `locationType` for a time slot's one."""
    return _BOOKING_LOCATION_TYPES.get(time_slot_location_type or "", "UNDEFINED")


@dataclass(frozen=True)
class TimeSlot:
    """One availability slot, in the service's local time."""

    service_id: str | None
    schedule_id: str | None
    local_start_date: str
    local_end_date: str
    bookable: bool
    location_type: str | None
    remaining_capacity: int | None
    resources: tuple[tuple[str, str | None], ...]
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> TimeSlot:
        resources = tuple(
            (r["id"], r.get("name"))
            for group in raw.get("availableResources") or ()
            for r in group.get("resources") or ()
            if isinstance(r, dict) and r.get("id")
        )
        capacity = raw.get("remainingCapacity")
        return cls(
            service_id=raw.get("serviceId"),
            schedule_id=raw.get("scheduleId"),
            local_start_date=raw["localStartDate"],
            local_end_date=raw["localEndDate"],
            bookable=bool(raw.get("bookable")),
            location_type=dig(raw, "location", "locationType"),
            remaining_capacity=int(capacity) if capacity is not None else None,
            resources=resources,
            raw=raw,
        )


@dataclass(frozen=True)
class TimeSlotPage:
    """One page of List Time Slots."""

    time_slots: tuple[TimeSlot, ...]
    time_zone: str | None
    next_cursor: str | None


class AvailabilityApi:
    """Time Slots V2 calls; dates are local `YYYY-MM-DDThh:mm:ss` (a bare date is a 400)."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def list_time_slots(
        self,
        service_id: str,
        from_local_date: str,
        to_local_date: str,
        time_zone: str,
        *,
        include_resource_type_ids: list[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> TimeSlotPage:
        """Free slots of a service between two local times."""
        body: JsonDict = {
            "serviceId": service_id,
            "fromLocalDate": from_local_date,
            "toLocalDate": to_local_date,
            "timeZone": time_zone,
        }
        if include_resource_type_ids:
            body["includeResourceTypeIds"] = include_resource_type_ids
        if limit or cursor:
            body["cursorPaging"] = {k: v for k, v in {"limit": limit, "cursor": cursor}.items() if v}
        answer = self._transport.call("POST", LIST_PATH, json=body)
        slots = tuple(read_list(answer, "timeSlots", TimeSlot.from_wire, "List Time Slots"))
        next_cursor = dig(answer, "cursorPagingMetadata", "cursors", "next")
        return TimeSlotPage(slots, answer.get("timeZone"), next_cursor)

    def get_time_slot(
        self,
        service_id: str,
        local_start_date: str,
        local_end_date: str,
        time_zone: str,
        *,
        location: JsonDict | None = None,
    ) -> TimeSlot:
        """One slot with all its resources, to re-check it before booking into it."""
        body: JsonDict = {
            "serviceId": service_id,
            "localStartDate": local_start_date,
            "localEndDate": local_end_date,
            "timeZone": time_zone,
        }
        if location:
            body["location"] = location
        answer = self._transport.call("POST", GET_PATH, json=body)
        return read_entity(answer, "timeSlot", TimeSlot.from_wire, "Get Time Slot")
