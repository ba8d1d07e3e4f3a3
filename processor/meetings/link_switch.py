"""Turn a scheduling link off or on at its current revision, remembering the ones the processor paused.

Shared by the calendar flow, the ops CLI and the console. `by_processor=True` means the processor decided
(a broken calendar): the link is recorded so recovery turns back on only what we turned off.
A person's decision (`by_processor=False`) always clears that record.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from processor.meetings.links import Link, get_meetings_service, show_link, update_service
from processor.store import paused_links
from processor.store.db import Sessions, utcnow
from processor.wix.client import WixClient
from processor.wix.errors import WixPermissionError, WixValidationError
from processor.wix.services import Service, online_booking_changes
from processor.wix.wire import JsonDict

log = structlog.get_logger(__name__)


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
            paused_links.forget_deactivated_link(sessions, service_id)
        return LinkChange(service_id, False, False, current.revision or 0)
    if by_processor:  # before the write: a crash after it must still let recovery undo it
        paused_links.record_deactivated_link(
            sessions,
            service_id,
            instance_id=instance_id,
            now=utcnow(),
            schedule_id=schedule_id,
            connection_id=connection_id,
            reason=reason,
        )
    else:
        paused_links.forget_deactivated_link(sessions, service_id)
    try:
        change = _set_enabled(wix, current, False, redirect_url)
    except (WixValidationError, WixPermissionError):
        if not redirect_url:
            raise
        # Wix API assumption #18: our app may not write @services/meetings; the link matters more.
        log.warning("link.redirect_refused", service_id=service_id)
        change = _set_enabled(wix, wix.services.get(service_id), False, None)
    if by_processor and change.changed:
        paused_links.record_deactivated_link(
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
    paused_links.forget_deactivated_link(sessions, service_id)
    log.info(
        "link.activated",
        service_id=service_id,
        instance_id=instance_id,
        by_processor=by_processor,
        changed=change.changed,
        revision=change.revision,
    )
    return change


def _set_enabled(wix: WixClient, current: Service, enabled: bool, redirect_url: str | None) -> LinkChange:
    """PATCH `onlineBooking.enabled` at the current revision; on a stale revision re-read and re-decide."""
    latest = [current]

    def changes_for(service: Service) -> JsonDict | None:
        latest[0] = service
        if service.online_booking_enabled == enabled:
            return None
        return online_booking_changes(enabled, redirect_url)

    updated = update_service(wix, current.id, changes_for, current=current)
    if updated is None:
        return LinkChange(current.id, False, enabled, latest[0].revision or 0)
    return LinkChange(updated.id, True, updated.online_booking_enabled, updated.revision or 0)


def set_link_active(
    wix: WixClient,
    sessions: Sessions,
    service_id: str,
    *,
    instance_id: str,
    active: bool,
    redirect_url: str | None = None,
) -> tuple[Link, bool]:
    """Stop or resume online booking by hand (CLI, console): a person's decision; (link, changed)."""
    get_meetings_service(wix, service_id)
    if active:
        change = activate_link(wix, sessions, service_id, instance_id=instance_id, by_processor=False)
    else:
        change = deactivate_link(
            wix,
            sessions,
            service_id,
            instance_id=instance_id,
            redirect_url=redirect_url,
            reason="deactivated by an operator (wix-meetings links deactivate)",
            by_processor=False,
        )
    return show_link(wix, service_id), change.changed
