"""Pause a host's scheduling links while their calendar is broken, resume only those we paused."""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from processor.config import Settings
from processor.links import (
    activate_link,
    deactivate_link,
    edited_while_paused,
    host_for_schedule,
    links_for_host,
)
from processor.store import sites
from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.wix.client import WixClient
from processor.wix.services import Service
from processor.wix.staff import StaffMember
from workers.flows.booking_emails import send_once
from workers.notify.details import LinkDetails
from workers.notify.email import Mailer
from workers.notify.messages import link_deactivated_for_host, link_reactivated_for_host
from workers.notify.ops import OpsAlerts

log = structlog.get_logger(__name__)


def pause_host_links(
    wix: WixClient,
    sessions: Sessions,
    ledger: Ledger,
    *,
    instance_id: str,
    schedule_id: str,
    connection_id: str,
    reason: str,
    settings: Settings,
    event_id: int,
) -> tuple[StaffMember | None, list[Service]]:
    """Turn off the host's enabled Meetings links; return the host and the links this event paused."""
    host = host_for_schedule(wix, schedule_id)
    if host is None:
        return None, []
    touched: list[Service] = []
    for service in links_for_host(wix, host):
        key = f"link:{service.id}:deactivate:{event_id}"
        if not service.online_booking_enabled and not ledger.is_done(key):
            continue  # off already, and not by this event: maybe the owner's own choice
        with ledger.once(key) as first_time:
            if first_time:
                deactivate_link(
                    wix,
                    sessions,
                    service.id,
                    instance_id=instance_id,
                    redirect_url=settings.meetings_deactivated_redirect_url,
                    reason=reason,
                    by_processor=True,
                    schedule_id=schedule_id,
                    connection_id=connection_id,
                )
        touched.append(service)
    ours = {row.service_id for row in sites.deactivated_links(sessions, schedule_id=schedule_id)}
    return host, [s for s in touched if s.id in ours]


def resume_host_links(
    wix: WixClient, sessions: Sessions, ledger: Ledger, *, instance_id: str, schedule_id: str, event_id: int
) -> tuple[StaffMember | None, list[Service], list[Service]]:
    """Turn back on the links we paused for this schedule (never others).

    Returns the host, the links turned back on, and the links to leave off because someone edited
    them on Wix while they were paused (processor.links.edited_while_paused): never switched on,
    still remembered until release_links_left_off has told ops.
    """
    recorded = sites.deactivated_links(sessions, schedule_id=schedule_id)
    host = host_for_schedule(wix, schedule_id)
    services = {s.id: s for s in (links_for_host(wix, host) if host else [])}

    def service(service_id: str) -> Service:  # read from Wix once, when not one of the host's
        if service_id not in services:
            services[service_id] = wix.services.get(service_id)
        return services[service_id]

    # A retry after a failed email: the record is gone, the ledger still knows this event did it.
    again = [sid for sid in services if ledger.is_done(_activate_key(sid, event_id))]
    left_off: list[Service] = []
    to_resume: list[str] = []
    for row in recorded:
        current = service(row.service_id)
        if edited_while_paused(row.revision, current):
            log.info("link.left_off", service_id=current.id, paused_at=row.revision, now=current.revision)
            left_off.append(current)
        else:
            to_resume.append(row.service_id)
    resumed: list[Service] = []
    for service_id in dict.fromkeys([*to_resume, *again]):
        with ledger.once(_activate_key(service_id, event_id)) as first_time:
            if first_time:
                activate_link(wix, sessions, service_id, instance_id=instance_id, by_processor=True)
        resumed.append(service(service_id))
    return host, resumed, left_off


def release_links_left_off(
    links: list[Service], *, sessions: Sessions, ledger: Ledger, ops: OpsAlerts, event_id: int
) -> None:
    """Tell ops, once per event, which paused links stay off, then forget that we paused them.

    In this order, so a crash between the two leaves the records for the retry to report."""
    if not links:
        return
    text = (
        f"{len(links)} paused link(s) left off: edited on Wix while paused "
        "(`wix-meetings links activate ID` turns one back on)"
    )
    fields = {"service_ids": ",".join(s.id for s in links), "event_id": str(event_id)}
    _alert_once(ledger, ops, f"ops:link_left_off:{event_id}", "link.left_off", text, fields)
    for link in links:
        sites.forget_deactivated_link(sessions, link.id)


def notify_links(
    links: Iterable[Service],
    host: StaffMember | None,
    *,
    paused: bool,
    reason: str,
    ledger: Ledger,
    mailer: Mailer,
    ops: OpsAlerts,
    event_id: int,
    connection_id: str,
) -> None:
    """One host email per link and one ops alert per event, each once."""
    links = list(links)
    if not links:
        return
    kind = "link_deactivated" if paused else "link_reactivated"
    for service in links:
        details = LinkDetails(
            service_id=service.id,
            service_name=service.name or "Meeting",
            host_name=host.name if host else None,
            host_email=host.email if host else None,
            booking_page_url=service.booking_page_url,
        )
        spec = (
            link_deactivated_for_host(details, reason=reason)
            if paused
            else link_reactivated_for_host(details)
        )
        send_once(ledger, mailer, spec, f"email:{service.id}:{kind}:{event_id}")
    verb = "deactivated" if paused else "reactivated"
    fields = {
        "service_ids": ",".join(s.id for s in links),
        "connection_id": connection_id,
        "event_id": str(event_id),
    }
    text = f"{len(links)} link(s) {verb}: {reason}"
    _alert_once(ledger, ops, f"ops:{kind}:{event_id}", f"link.{verb}", text, fields)


def _alert_once(
    ledger: Ledger, ops: OpsAlerts, key: str, kind: str, text: str, fields: dict[str, str]
) -> None:
    """One ops alert under a ledger key; an alert that fails is logged and never fails the flow."""
    with ledger.once(key) as first_time:
        if first_time:
            try:
                ops.alert(kind, text, fields)
            except Exception as exc:
                log.warning("ops.alert_failed", kind=kind.replace(".", "_"), error=type(exc).__name__)


def _activate_key(service_id: str, event_id: int) -> str:
    return f"link:{service_id}:activate:{event_id}"
