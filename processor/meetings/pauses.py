"""Pause a host's scheduling links while a calendar of theirs is broken; resume only those we paused,
and only once none of the host's calendar connections is broken."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from processor.config import Settings
from processor.meetings.connection_changes import DISCONNECTED, MISSING_ROUNDS_FOR_DISCONNECTED
from processor.meetings.hosts import host_for_schedule
from processor.meetings.link_switch import LinkChange, activate_link, deactivate_link, edited_while_paused
from processor.meetings.links import links_for_host
from processor.store import connections, paused_links
from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.store.models import CalendarConnectionState
from processor.wix.calendars import BROKEN_STATUSES
from processor.wix.client import WixClient
from processor.wix.services import Service
from processor.wix.staff import StaffMember

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
                change = deactivate_link(
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
                ledger.set_result(key, _link_result(service, change))
        touched.append(service)
    ours = {row.service_id for row in paused_links.deactivated_links(sessions, schedule_id=schedule_id)}
    return host, [s for s in touched if s.id in ours]


@dataclass
class Resumption:
    """What a recovery did: the host, links turned back on, links left off (edited on Wix while
    paused), and the host's connections still broken (then nothing was turned on)."""

    host: StaffMember | None = None
    resumed: list[Service] = field(default_factory=list)
    left_off: list[Service] = field(default_factory=list)
    still_broken: list[CalendarConnectionState] = field(default_factory=list)


def broken_connections(sessions: Sessions, schedule_id: str) -> list[CalendarConnectionState]:
    """The schedule's connections whose latest known status is broken.

    Not one that vanished from Wix's listing (DISCONNECTED by the missing-twice rule): it is no
    connection of the host's any more, and a host who connects a new calendar instead gets their
    links back."""
    return [
        row
        for row in connections.schedule_connections(sessions, schedule_id)
        if row.status in BROKEN_STATUSES
        and not (row.status == DISCONNECTED and row.missing_count >= MISSING_ROUNDS_FOR_DISCONNECTED)
    ]


def resume_host_links(
    wix: WixClient, sessions: Sessions, ledger: Ledger, *, instance_id: str, schedule_id: str, event_id: int
) -> Resumption:
    """Turn back on the links we paused for this schedule (never others), once none of its
    connections is broken (a host with Google and Outlook: both must be healthy).

    Links someone edited on Wix while they were paused (link_switch.edited_while_paused) are left
    off: never switched on, still remembered until the flow has told ops and called
    forget_links_left_off. Call it holding paused_links.holding_link_switch, so the statuses read
    here are still the latest when the writes land.
    """
    still_broken = broken_connections(sessions, schedule_id)
    if still_broken:
        log.info("links.stay_paused", schedule_id=schedule_id, broken=[r.connection_id for r in still_broken])
        return Resumption(still_broken=still_broken)
    recorded = paused_links.deactivated_links(sessions, schedule_id=schedule_id)
    host = host_for_schedule(wix, schedule_id)
    services = {s.id: s for s in (links_for_host(wix, host) if host else [])}

    def service(service_id: str) -> Service:  # read from Wix once, when not one of the host's
        if service_id not in services:
            services[service_id] = wix.services.get(service_id)
        return services[service_id]

    # A retry after a failed email: the record is gone, the ledger still knows this event did it.
    again = [sid for sid in services if ledger.is_done(activate_key(sid, event_id))]
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
        with ledger.once(activate_key(service_id, event_id)) as first_time:
            if first_time:
                change = activate_link(wix, sessions, service_id, instance_id=instance_id, by_processor=True)
                ledger.set_result(
                    activate_key(service_id, event_id), _link_result(service(service_id), change)
                )
        resumed.append(service(service_id))
    return Resumption(host, resumed, left_off)


def forget_links_left_off(sessions: Sessions, links: list[Service]) -> None:
    """Forget that we paused these links: they stay off, and are the owner's now."""
    for link in links:
        paused_links.forget_deactivated_link(sessions, link.id)


def _link_result(service: Service, change: LinkChange) -> dict[str, object]:
    """What the ledger keeps of a link change (the console's "what it did"): ids, name, revision."""
    return {
        "service_id": service.id,
        "service_name": service.name,
        "changed": change.changed,
        "enabled": change.enabled,
        "revision": change.revision,
    }


def activate_key(service_id: str, event_id: int) -> str:
    """The ledger key of one recovery's reactivation of one link."""
    return f"link:{service_id}:activate:{event_id}"
