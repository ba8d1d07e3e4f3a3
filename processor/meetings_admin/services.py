"""Shared lookups of the ops actions: Meetings services, the default one, hosts, revisioned updates."""

from __future__ import annotations

from collections.abc import Callable

from processor.meetings_admin.errors import NotFoundError
from processor.wix import WixClient, WixConflictError, WixNotFoundError
from processor.wix.services import Service, meetings_services_filter
from processor.wix.staff import StaffMember
from processor.wix.wire import JsonDict

MAX_CONFLICT_RETRIES = 3


def meetings_services(wix: WixClient, host_resource_id: str | None = None) -> list[Service]:
    """Every Meetings link of the site (Query Services by the Meetings appId), optionally one host's."""
    return list(wix.services.query_all(meetings_services_filter(host_resource_id)))


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


def find_host(wix: WixClient, email: str) -> StaffMember:
    """The staff member (host) with this email; NotFoundError when none."""
    member = wix.staff.find_by_email(email)
    if member is None:
        raise NotFoundError(f"no host with email {email}; set one up with `wix-meetings hosts setup`")
    return member


def update_service(
    wix: WixClient, service_id: str, changes_for: Callable[[Service], JsonDict | None]
) -> Service | None:
    """GET→PATCH: changes computed from a fresh read; None when the state already holds (no write).

    A 409 (stale revision, or a retried write that landed) re-reads and re-decides, a few times.
    """
    for attempt in range(MAX_CONFLICT_RETRIES + 1):
        current = wix.services.get(service_id)
        changes = changes_for(current)
        if not changes:
            return None
        try:
            return wix.services.update(service_id, current.revision or 0, changes)
        except WixConflictError:
            if attempt == MAX_CONFLICT_RETRIES:
                raise
    return None  # pragma: no cover - the loop returns or raises
