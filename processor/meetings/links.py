"""Scheduling links (Meetings services): find, create, price, list, show; write at the current revision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from processor.meetings.errors import NotAllowedError, NotFoundError
from processor.meetings.hosts import find_host, host_for_schedule
from processor.wix import MEETINGS_APP_ID, WixClient, WixNotFoundError
from processor.wix.revisions import at_current_revision
from processor.wix.services import Service, ServicePayment
from processor.wix.staff import StaffMember
from processor.wix.wire import JsonDict, Money, format_amount

DEFAULT_DURATION = 30
# A free link: no fee, nothing paid online ("online or inPerson must be true"; `online` needs a price).
FREE_PAYMENT = ServicePayment("NO_FEE", in_person=True)


@dataclass(frozen=True)
class Link:
    """A scheduling link as ops see it."""

    service_id: str
    name: str | None
    active: bool
    booking_page_url: str | None
    duration_minutes: int | None
    hosts: list[str]
    price: str | None
    deposit: str | None
    currency: str | None
    deactivated_redirect_url: str | None
    revision: int | None

    @classmethod
    def from_service(cls, service: Service, host_names: dict[str, str] | None = None) -> Link:
        names = host_names or {}
        payment = service.payment
        paid = payment is not None and payment.rate_type != "NO_FEE" and payment.price is not None
        return cls(
            service_id=service.id,
            name=service.name,
            active=service.online_booking_enabled,
            booking_page_url=service.booking_page_url,
            duration_minutes=service.session_durations[0] if service.session_durations else None,
            hosts=[names.get(r, r) for r in service.staff_member_ids],
            price=format_amount(payment.price.value) if paid and payment and payment.price else None,
            deposit=(
                format_amount(payment.deposit.value)
                if paid and payment and payment.deposit and payment.deposit_enabled
                else None
            ),
            currency=payment.price.currency if paid and payment and payment.price else None,
            deactivated_redirect_url=service.deactivated_redirect_url,
            revision=service.revision,
        )


def default_service(services: list[Service]) -> Service | None:
    """The default Meetings link: the one provisioning created, i.e. the oldest."""
    return min(services, key=lambda s: s.raw.get("createdDate") or "", default=None)


def get_meetings_service(wix: WixClient, service_id: str) -> Service:
    """One Meetings link by id; NotFoundError for an unknown id or another app's service."""
    try:
        service = wix.services.get(service_id)
    except WixNotFoundError:
        raise NotFoundError(f"no scheduling link (service) with id {service_id} on this site") from None
    if not service.is_meetings:
        raise NotFoundError(f"service {service_id} is not a Wix Meetings scheduling link")
    return service


def links_for_host(wix: WixClient, host: StaffMember) -> list[Service]:
    """The host's Meetings services (their `staffMemberIds` name the host, by either id: #26)."""
    ids = [i for i in (host.resource_id, host.id) if i]
    return [
        service
        for service in wix.services.query_meetings(*ids)
        if any(host.matches_resource(i) for i in service.staff_member_ids)
    ]


def links_for_schedule(wix: WixClient, schedule_id: str) -> list[Service]:
    """The Meetings services of the host whose events schedule is `schedule_id` (§6)."""
    host = host_for_schedule(wix, schedule_id)
    return links_for_host(wix, host) if host is not None else []


def update_service(
    wix: WixClient,
    service_id: str,
    changes_for: Callable[[Service], JsonDict | None],
    *,
    current: Service | None = None,
) -> Service | None:
    """GET→PATCH: changes computed from a fresh read; None when the state already holds (no write).

    `current`, when the caller has just read the service, saves the first GET.
    """
    given = [current] if current is not None else []

    def attempt() -> Service | None:
        service = given.pop() if given else wix.services.get(service_id)
        changes = changes_for(service)
        if not changes:
            return None
        return wix.services.update(service_id, service.revision or 0, changes)

    return at_current_revision(attempt, what=f"service {service_id}")


def parse_amount(text: str, option: str) -> Decimal:
    """A positive amount with at most two decimals (Wix's Money rule); ValueError otherwise."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{option}: not an amount: {text!r}") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{option}: expected a positive amount with at most 2 decimals, got {text!r}")
    return amount


def create_link(
    wix: WixClient, *, name: str, duration: int | None = None, host_email: str | None = None
) -> Link:
    """Create Service with the Meetings values: APPOINTMENT, Meetings appId, one location, free."""
    if host_email:
        host = find_host(wix, host_email)
    else:
        members = wix.staff.query()
        if len(members) != 1:
            raise NotFoundError(
                "give --host EMAIL: a link needs one host"
                + (" (no hosts yet: `wix-meetings hosts setup`)" if not members else "")
            )
        host = members[0]
    template = default_service(wix.services.query_meetings())
    service: JsonDict = {
        "name": name,
        "type": "APPOINTMENT",
        "appId": MEETINGS_APP_ID,
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False},
        "payment": None,
        "staffMemberIds": [host.resource_id or host.id],
        "locations": _one_location(template),
        "schedule": {"availabilityConstraints": {"sessionDurations": [duration or DEFAULT_DURATION]}},
    }
    if template is not None:  # the provisioned Meetings form and booking policy
        if template.form_id:
            service["form"] = {"id": template.form_id}
        if template.booking_policy_id:
            service["bookingPolicy"] = {"id": template.booking_policy_id}
    created = wix.services.create(service)
    return Link.from_service(created, {host.resource_id or host.id: host.email or host.name or host.id})


def _one_location(template: Service | None) -> list[JsonDict]:
    locations = (template.raw.get("locations") if template else None) or [{"type": "BUSINESS"}]
    return [locations[0]]


def price_link(
    wix: WixClient,
    service_id: str,
    *,
    amount: Decimal | None,
    currency: str | None,
    deposit: Decimal | None = None,
) -> tuple[Link, bool]:
    """Make the link paid (amount, currency, optional deposit) or free (amount None); (link, changed)."""
    get_meetings_service(wix, service_id)
    if amount is None:
        wanted = FREE_PAYMENT
    else:
        if deposit is not None and deposit >= amount:
            raise NotAllowedError(f"the deposit ({deposit}) must be less than the price ({amount})")
        wanted = ServicePayment.fixed_online(
            Money(amount, currency), Money(deposit, currency) if deposit is not None else None
        )

    def changes_for(current: Service) -> JsonDict | None:
        return None if _same_payment(current.payment, wanted) else {"payment": wanted.to_wire()}

    updated = update_service(wix, service_id, changes_for)
    service = updated or wix.services.get(service_id)
    return Link.from_service(service, _host_names(wix)), updated is not None


def _same_payment(current: ServicePayment | None, wanted: ServicePayment) -> bool:
    if wanted.rate_type == "NO_FEE":
        return current is None or current.rate_type == "NO_FEE"
    if current is None or current.rate_type != "FIXED" or current.price is None or not current.online:
        return False
    assert wanted.price is not None
    same_price = format_amount(current.price.value) == format_amount(wanted.price.value) and (
        current.price.currency in (None, wanted.price.currency)
    )
    has_deposit = current.deposit.value if current.deposit and current.deposit_enabled else None
    want_deposit = wanted.deposit.value if wanted.deposit else None
    same_deposit = (has_deposit is None) == (want_deposit is None) and (
        has_deposit is None
        or want_deposit is None
        or format_amount(has_deposit) == format_amount(want_deposit)
    )
    return same_price and same_deposit and not current.in_person


def list_links(wix: WixClient) -> list[Link]:
    """Every Meetings link with its hosts' names."""
    names = _host_names(wix)
    return [Link.from_service(s, names) for s in wix.services.query_meetings()]


def show_link(wix: WixClient, service_id: str) -> Link:
    """One Meetings link."""
    return Link.from_service(get_meetings_service(wix, service_id), _host_names(wix))


def _host_names(wix: WixClient) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in wix.staff.query():
        label = m.email or m.name or m.id
        names[m.id] = label
        if m.resource_id:
            names[m.resource_id] = label
    return names
