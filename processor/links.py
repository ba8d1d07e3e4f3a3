"""Turn scheduling links (Meetings services) off and on: GET→PATCH with a fresh revision.

Shared by the calendar flow and the ops CLI. `by_processor=True` means the processor decided
(a broken calendar): the link is recorded so recovery turns back on only what we turned off.
A person's decision (`by_processor=False`) always clears that record.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from processor.store import sites
from processor.store.db import Sessions, utcnow
from processor.wix.client import WixClient
from processor.wix.errors import WixConflictError, WixPermissionError, WixValidationError
from processor.wix.services import MEETINGS_APP_ID, Service, online_booking_changes
from processor.wix.staff import StaffMember

log = structlog.get_logger(__name__)

CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class LinkChange:
    """The link after the call: whether we changed it, whether it takes bookings, its revision."""

    service_id: str
    changed: bool
    enabled: bool
    revision: int


def deactivate_link(
    wix: WixClient,
    sessions: Sessions,
    service_id: str,
    *,
    instance_id: str,
    redirect_url: str | None,
    reason: str,
    by_processor: bool,
    schedule_id: str | None = None,
    connection_id: str | None = None,
) -> LinkChange:
    """Stop online booking (optionally redirecting visitors); record it when the processor decided."""
    current = wix.services.get(service_id)
    if not current.online_booking_enabled:
        if not by_processor:
            sites.forget_deactivated_link(sessions, service_id)
        return LinkChange(service_id, False, False, current.revision or 0)
    if by_processor:  # before the write: a crash after it must still let recovery undo it
        sites.record_deactivated_link(
            sessions,
            service_id,
            instance_id=instance_id,
            now=utcnow(),
            schedule_id=schedule_id,
            connection_id=connection_id,
            reason=reason,
        )
    else:
        sites.forget_deactivated_link(sessions, service_id)
    try:
        change = _set_enabled(wix, current, False, redirect_url)
    except (WixValidationError, WixPermissionError):
        if not redirect_url:
            raise
        # Wix API assumption #18: our app may not write @services/meetings; the link matters more.
        log.warning("link.redirect_refused", service_id=service_id)
        change = _set_enabled(wix, wix.services.get(service_id), False, None)
    if by_processor and change.changed:
        sites.record_deactivated_link(
            sessions, service_id, instance_id=instance_id, now=utcnow(), revision=change.revision
        )
    log.info("link.deactivated", service_id=service_id, changed=change.changed, revision=change.revision)
    return change


def edited_while_paused(paused_at_revision: int | None, current: Service) -> bool:
    """Whether someone changed a link after we paused it (and left it off): then it is theirs now.

    Wix bumps a service's revision on every write; ours left it at `paused_at_revision`. A link
    someone re-enabled needs nothing from us either way; one that is off at a newer revision may
    be the owner's own choice, and recovery must never turn on a link the owner turned off.
    """
    if paused_at_revision is None or current.revision is None or current.online_booking_enabled:
        return False
    return current.revision > paused_at_revision


def activate_link(
    wix: WixClient, sessions: Sessions, service_id: str, *, instance_id: str, by_processor: bool
) -> LinkChange:
    """Resume online booking and forget that we had turned the link off."""
    change = _set_enabled(wix, wix.services.get(service_id), True, None)
    sites.forget_deactivated_link(sessions, service_id)
    log.info(
        "link.activated",
        service_id=service_id,
        instance_id=instance_id,
        by_processor=by_processor,
        changed=change.changed,
        revision=change.revision,
    )
    return change


def host_for_schedule(wix: WixClient, schedule_id: str) -> StaffMember | None:
    """The staff member whose events schedule is `schedule_id` (a calendar connection's)."""
    return wix.staff.find_by_schedule_id(schedule_id)


def links_for_host(wix: WixClient, host: StaffMember) -> list[Service]:
    """The host's Meetings services (their `staffMemberIds` name the host, by either id: #26)."""
    ids = [i for i in (host.resource_id, host.id) if i]
    query_filter = {"appId": MEETINGS_APP_ID, "staffMemberIds": {"$hasSome": ids}}
    return [
        service
        for service in wix.services.query_all(query_filter)
        if service.is_meetings and any(host.matches_resource(i) for i in service.staff_member_ids)
    ]


def links_for_schedule(wix: WixClient, schedule_id: str) -> list[Service]:
    """The Meetings services of the host whose events schedule is `schedule_id` (§6)."""
    host = host_for_schedule(wix, schedule_id)
    return links_for_host(wix, host) if host is not None else []


def _set_enabled(wix: WixClient, current: Service, enabled: bool, redirect_url: str | None) -> LinkChange:
    """PATCH `onlineBooking.enabled` at the current revision; on a stale revision re-read and re-decide."""
    for attempt in range(CONFLICT_RETRIES + 1):
        if current.online_booking_enabled == enabled:
            return LinkChange(current.id, False, enabled, current.revision or 0)
        try:
            updated = wix.services.update(
                current.id, current.revision or 0, online_booking_changes(enabled, redirect_url)
            )
        except WixConflictError:
            if attempt == CONFLICT_RETRIES:
                raise
            log.info("link.revision_conflict", service_id=current.id, revision=current.revision)
            current = wix.services.get(current.id)
            continue
        return LinkChange(updated.id, True, updated.online_booking_enabled, updated.revision or 0)
    raise AssertionError("unreachable")
