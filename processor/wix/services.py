"""Services V2: a scheduling link is a service. Query, get, create, update with revision."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, Money, as_revision, dig, read_entity, read_list

MEETINGS_APP_ID = "6646a75c-2027-4f49-976c-58f3d713ed0f"
MEETINGS_NAMESPACE = "@services/meetings"
QUERY_PAGE_LIMIT = 100


@dataclass(frozen=True)
class ServicePayment:
    """`service.payment`: price, optional deposit (Wix API assumption #10: amount in `fixed`)."""

    rate_type: str
    price: Money | None = None
    deposit: Money | None = None
    online: bool = False
    in_person: bool = False
    deposit_enabled: bool = False
    raw: JsonDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> ServicePayment:
        price, deposit = dig(raw, "fixed", "price"), dig(raw, "fixed", "deposit")
        options = raw.get("options") or {}
        return cls(
            rate_type=raw.get("rateType", "UNDEFINED"),
            price=Money.from_wire(price) if isinstance(price, dict) else None,
            deposit=Money.from_wire(deposit) if isinstance(deposit, dict) else None,
            online=bool(options.get("online")),
            in_person=bool(options.get("inPerson")),
            deposit_enabled=bool(options.get("deposit")),
            raw=raw,
        )

    @classmethod
    def fixed_online(cls, price: Money, deposit: Money | None = None) -> ServicePayment:
        """A fixed price paid online, optionally with a deposit up front."""
        return cls("FIXED", price, deposit, online=True, deposit_enabled=deposit is not None)

    def to_wire(self) -> JsonDict:
        fixed: JsonDict = {}
        if self.price is not None:
            fixed["price"] = self.price.to_wire()
        if self.deposit is not None:
            fixed["deposit"] = self.deposit.to_wire()
        wire: JsonDict = {"rateType": self.rate_type}
        if fixed:
            wire["fixed"] = fixed
        wire["options"] = {
            "online": self.online,
            "inPerson": self.in_person,
            "deposit": self.deposit_enabled,
        }
        return wire


@dataclass(frozen=True)
class CancellationPolicy:
    """`bookingPolicy.cancellationPolicy`: whether and until when customers may cancel."""

    enabled: bool
    limit_latest_cancellation: bool
    latest_cancellation_in_minutes: int | None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> CancellationPolicy:
        minutes = raw.get("latestCancellationInMinutes")
        return cls(
            enabled=bool(raw.get("enabled")),
            limit_latest_cancellation=bool(raw.get("limitLatestCancellation")),
            latest_cancellation_in_minutes=int(minutes) if minutes is not None else None,
        )


@dataclass(frozen=True)
class Service:
    """A Wix service: for Meetings, one scheduling link with its host, price and policy."""

    id: str
    revision: int | None
    name: str | None
    type: str | None
    app_id: str | None
    online_booking_enabled: bool
    payment: ServicePayment | None
    schedule_id: str | None
    session_durations: tuple[int, ...]
    staff_member_ids: tuple[str, ...]
    form_id: str | None
    booking_policy_id: str | None
    cancellation_policy: CancellationPolicy | None
    slug: str | None
    booking_page_url: str | None
    deactivated_redirect_url: str | None
    updated_date: str | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Service:
        payment = raw.get("payment")
        cancellation = dig(raw, "bookingPolicy", "cancellationPolicy")
        return cls(
            id=raw["id"],
            revision=as_revision(raw.get("revision")),
            name=raw.get("name"),
            type=raw.get("type"),
            app_id=raw.get("appId"),
            online_booking_enabled=bool(dig(raw, "onlineBooking", "enabled")),
            payment=ServicePayment.from_wire(payment) if isinstance(payment, dict) else None,
            schedule_id=dig(raw, "schedule", "id"),
            session_durations=tuple(
                int(m) for m in dig(raw, "schedule", "availabilityConstraints", "sessionDurations") or ()
            ),
            staff_member_ids=tuple(raw.get("staffMemberIds") or ()),
            form_id=dig(raw, "form", "id"),
            booking_policy_id=dig(raw, "bookingPolicy", "id"),
            cancellation_policy=(
                CancellationPolicy.from_wire(cancellation) if isinstance(cancellation, dict) else None
            ),
            slug=dig(raw, "mainSlug", "name"),
            booking_page_url=dig(raw, "urls", "bookingPage", "url"),
            deactivated_redirect_url=dig(
                raw, "extendedFields", "namespaces", MEETINGS_NAMESPACE, "deactivatedRedirectUrl"
            ),
            updated_date=raw.get("updatedDate"),
            raw=raw,
        )

    @property
    def is_meetings(self) -> bool:
        return self.app_id == MEETINGS_APP_ID


@dataclass(frozen=True)
class ServicePage:
    """One offset page of Query Services."""

    services: tuple[Service, ...]
    offset: int
    total: int | None


def online_booking_changes(enabled: bool, redirect_url: str | None = None) -> JsonDict:
    """The Update Service changes that (de)activate a link; the touched object goes whole (#19)."""
    changes: JsonDict = {
        "onlineBooking": {
            "enabled": enabled,
            "requireManualApproval": False,
            "allowMultipleRequests": False,
        }
    }
    if redirect_url:
        namespace = {MEETINGS_NAMESPACE: {"deactivatedRedirectUrl": redirect_url}}
        changes["extendedFields"] = {"namespaces": namespace}
    return changes


def meetings_services_filter(*host_ids: str) -> JsonDict:
    """The Query Services filter for Meetings links, optionally those naming one of these hosts' ids."""
    query_filter: JsonDict = {"appId": MEETINGS_APP_ID}
    if host_ids:
        query_filter["staffMemberIds"] = {"$hasSome": list(host_ids)}
    return query_filter


class ServicesApi:
    """Services V2 calls."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def query(
        self, query_filter: JsonDict | None = None, *, limit: int = QUERY_PAGE_LIMIT, offset: int = 0
    ) -> ServicePage:
        """One page of services matching the filter."""
        query: JsonDict = {"paging": {"limit": min(limit, QUERY_PAGE_LIMIT), "offset": offset}}
        if query_filter:
            query["filter"] = query_filter
        body = self._transport.call("POST", "/bookings/v2/services/query", json={"query": query})
        paging = body.get("pagingMetadata") or {}
        return ServicePage(
            services=tuple(read_list(body, "services", Service.from_wire, "Query Services")),
            offset=int(paging.get("offset") or offset),
            total=int(paging["total"]) if paging.get("total") is not None else None,
        )

    def query_all(self, query_filter: JsonDict | None = None) -> Iterator[Service]:
        """Every matching service, page after page."""
        offset = 0
        while True:
            page = self.query(query_filter, offset=offset)
            yield from page.services
            offset += len(page.services)
            if len(page.services) < QUERY_PAGE_LIMIT or (page.total and offset >= page.total):
                return

    def query_meetings(self, *host_ids: str) -> list[Service]:
        """Every Meetings link of the site (by the Meetings appId), optionally those of these host ids."""
        return [s for s in self.query_all(meetings_services_filter(*host_ids)) if s.is_meetings]

    def get(self, service_id: str) -> Service:
        """One service, with a fresh revision."""
        path = f"/bookings/v2/services/{segment(service_id, 'service id')}"
        return _service(self._transport.call("GET", path), "Get Service")

    def create(self, service: JsonDict) -> Service:
        """Create a service from its wire form."""
        body = self._transport.call("POST", "/bookings/v2/services", json={"service": service})
        return _service(body, "Create Service")

    def update(self, service_id: str, revision: int, changes: JsonDict) -> Service:
        """Apply changes at `revision` (from a GET just before); a stale one raises WixConflictError."""
        service = {**changes, "id": service_id, "revision": str(revision)}
        path = f"/_api/bookings/v2/services/{segment(service_id, 'service id')}"
        return _service(self._transport.call("PATCH", path, json={"service": service}), "Update Service")


def _service(body: dict[str, Any], call: str) -> Service:
    return read_entity(body, "service", Service.from_wire, call)
