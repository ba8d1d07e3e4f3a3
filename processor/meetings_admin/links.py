"""Scheduling links: create, price, list, show; (de)activation goes through processor.links."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from processor import links as shared_links
from processor.meetings_admin.errors import NotAllowedError, NotFoundError
from processor.meetings_admin.services import (
    default_service,
    find_host,
    get_meetings_service,
    meetings_services,
    update_service,
)
from processor.store.db import Sessions
from processor.wix import MEETINGS_APP_ID, WixClient
from processor.wix.services import Service
from processor.wix.wire import JsonDict, format_amount

DEFAULT_DURATION = 30
# A free link: no fee, nothing paid online ("online or inPerson must be true"; `online` needs a price).
FREE_PAYMENT: JsonDict = {
    "rateType": "NO_FEE",
    "options": {"online": False, "inPerson": True, "deposit": False},
}


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
    template = default_service(meetings_services(wix))
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
        wanted: JsonDict = FREE_PAYMENT
    else:
        if deposit is not None and deposit >= amount:
            raise NotAllowedError(f"the deposit ({deposit}) must be less than the price ({amount})")
        fixed: JsonDict = {"price": {"value": format_amount(amount), "currency": currency}}
        if deposit is not None:
            fixed["deposit"] = {"value": format_amount(deposit), "currency": currency}
        options = {"online": True, "inPerson": False, "deposit": deposit is not None}
        wanted = {"rateType": "FIXED", "fixed": fixed, "options": options}

    def changes_for(current: Service) -> JsonDict | None:
        return None if _same_payment(current, wanted) else {"payment": wanted}

    updated = update_service(wix, service_id, changes_for)
    service = updated or wix.services.get(service_id)
    return Link.from_service(service, _host_names(wix)), updated is not None


def _same_payment(service: Service, wanted: JsonDict) -> bool:
    current = service.payment
    if wanted["rateType"] == "NO_FEE":
        return current is None or current.rate_type == "NO_FEE"
    if current is None or current.rate_type != "FIXED" or current.price is None or not current.online:
        return False
    fixed = wanted["fixed"]
    same_price = format_amount(current.price.value) == fixed["price"]["value"] and (
        current.price.currency in (None, fixed["price"]["currency"])
    )
    want_deposit = fixed.get("deposit", {}).get("value")
    has_deposit = (
        format_amount(current.deposit.value) if current.deposit and current.deposit_enabled else None
    )
    return same_price and has_deposit == want_deposit and not current.in_person


def list_links(wix: WixClient) -> list[Link]:
    """Every Meetings link with its hosts' names."""
    names = _host_names(wix)
    return [Link.from_service(s, names) for s in meetings_services(wix)]


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


def set_link_active(
    wix: WixClient,
    sessions: Sessions,
    service_id: str,
    *,
    instance_id: str,
    active: bool,
    redirect_url: str | None = None,
) -> tuple[Link, bool]:
    """Stop or resume online booking by hand, through the processor's own link code; (link, changed)."""
    get_meetings_service(wix, service_id)
    if active:
        change = shared_links.activate_link(
            wix, sessions, service_id, instance_id=instance_id, by_processor=False
        )
    else:
        change = shared_links.deactivate_link(
            wix,
            sessions,
            service_id,
            instance_id=instance_id,
            redirect_url=redirect_url,
            reason="deactivated by an operator (wix-meetings links deactivate)",
            by_processor=False,
        )
    return show_link(wix, service_id), change.changed
