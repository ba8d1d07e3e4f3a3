"""Calendar connection changes (from the watcher) and staff changes that call for a fresh look."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from processor.config import Settings
from processor.meetings.connection_changes import CONNECTION_EVENT_TYPE, check_connections
from processor.meetings.pauses import forget_links_left_off, pause_host_links, resume_host_links
from processor.store import connections, paused_links, sites
from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.wix.calendars import BROKEN_STATUSES, HEALTHY_STATUSES, sync_config
from processor.wix.client import WixClient
from processor.wix.errors import WixNotFoundError
from processor.wix.services import Service
from processor.wix.staff import StaffMember
from processor.wix.wire import dig
from processor.wix_event import WixEvent
from workers.flows.registry import Outcome, Skipped, Succeeded, handles
from workers.flows.shared import Clock, Outbox, Publish
from workers.notify.details import LinkDetails
from workers.notify.messages import link_deactivated_for_host, link_reactivated_for_host

STAFF_EVENT_TYPES = (
    "wix.bookings.staff.v1.staff_member_connected_to_user",
    "wix.bookings.staff.v1.staff_member_disconnected_from_user",
    "wix.bookings.staff.v1.staff_member_deleted",
)


@handles(CONNECTION_EVENT_TYPE)
def sync_calendar_connection(
    event: WixEvent,
    *,
    wix: WixClient,
    settings: Settings,
    sessions: Sessions,
    ledger: Ledger,
    outbox: Outbox,
    event_id: int,
) -> Outcome:
    """Broken: pause the host's links. Healthy (new or recovered): import on, and resume what we
    paused once none of the host's connections is broken.

    Decided by the connection's latest known status, read holding the schedule's link switch: a
    break and a recovery of one host never interleave, and an event whose status is no longer the
    latest changes nothing (the later event decides). The link changes decide the outcome; the
    host's emails and the ops alert are recorded after them."""
    connection: dict[str, Any] = event.data.get("connection") or {}
    connection_id, status = connection.get("id"), connection.get("status")
    schedule_id = connection.get("scheduleId")
    if not connection_id or not schedule_id or not event.instance_id:
        return Skipped("event names no connection, schedule or site")
    if status not in BROKEN_STATUSES and status not in HEALTHY_STATUSES:
        return Skipped(f"status {status}: nothing to do")
    lease = timedelta(seconds=settings.stuck_after_seconds)
    with paused_links.holding_link_switch(sessions, schedule_id, lease=lease):
        state = connections.connection_state(sessions, connection_id)
        if state is not None and state.status != status:
            return Skipped(f"stale: the connection is {state.status} now, not {status}")
        if status in BROKEN_STATUSES:
            return _pause(event.instance_id, connection, wix=wix, settings=settings, sessions=sessions,
                          ledger=ledger, outbox=outbox, event_id=event_id)  # fmt: skip
        imported = _ensure_import(wix, connection)
        done = resume_host_links(
            wix, sessions, ledger, instance_id=event.instance_id, schedule_id=schedule_id, event_id=event_id
        )
    if done.still_broken:
        waiting = ", ".join(f"{row.connection_id} {row.status}" for row in done.still_broken)
        detail = f"links stay paused: {len(done.still_broken)} other connection(s) still broken ({waiting})"
        return Succeeded(detail + "; import turned on") if imported else Skipped(detail)
    notify_links(
        done.resumed, done.host, paused=False, reason=f"calendar {status}", outbox=outbox, event_id=event_id,
        connection_id=connection_id,
    )  # fmt: skip
    release_links_left_off(done.left_off, sessions=sessions, outbox=outbox, event_id=event_id)
    detail = "; ".join(
        part
        for part in (
            f"{len(done.resumed)} link(s) reactivated" if done.resumed or not done.left_off else "",
            f"{len(done.left_off)} left off (edited on Wix while paused)" if done.left_off else "",
            "import turned on" if imported else "",
        )
        if part
    )
    changed = done.resumed or imported or done.left_off
    return Succeeded(detail) if changed else Skipped("healthy; nothing to change")


def _pause(
    instance_id: str,
    connection: dict[str, Any],
    *,
    wix: WixClient,
    settings: Settings,
    sessions: Sessions,
    ledger: Ledger,
    outbox: Outbox,
    event_id: int,
) -> Outcome:
    """Turn the host's links off (the caller holds the switch), then record the notices."""
    status = connection["status"]
    reason = f"your calendar connection is {status}" + (
        f" ({connection['errorReason']})" if connection.get("errorReason") else ""
    )
    host, paused = pause_host_links(
        wix,
        sessions,
        ledger,
        instance_id=instance_id,
        schedule_id=connection["scheduleId"],
        connection_id=connection["id"],
        reason=reason,
        settings=settings,
        event_id=event_id,
    )
    notify_links(
        paused, host, paused=True, reason=reason, outbox=outbox, event_id=event_id,
        connection_id=connection["id"],
    )  # fmt: skip
    return Succeeded(f"{len(paused)} link(s) deactivated") if paused else Skipped("no enabled links to pause")


@handles(*STAFF_EVENT_TYPES)
def check_host_calendar(
    event: WixEvent, *, wix: WixClient, sessions: Sessions, clock: Clock, publish: Publish
) -> Outcome:
    """A host was (dis)connected or deleted: check their calendar connections now, not at the next poll."""
    if not event.instance_id:
        return Skipped("event names no site")
    site = sites.get_site(sessions, event.instance_id)
    if site is not None and site.status == "removed":
        return Skipped("site removed")
    schedule_id = dig(event.body or {}, "resource", "eventsSchedule", "id") or dig(
        event.body or {}, "staffMember", "resource", "eventsSchedule", "id"
    )
    if schedule_id is None and event.entity_id:
        try:
            schedule_id = wix.staff.get(event.entity_id).events_schedule_id
        except WixNotFoundError:
            schedule_id = None  # deleted: look at the whole site, so its connections count as missing
    scope = [schedule_id] if schedule_id else None
    new_ids = check_connections(wix, sessions, event.instance_id, clock=clock, schedule_ids=scope)
    publish(new_ids)  # after the commit; what the broker misses, the sweep queues
    return Succeeded(f"{len(new_ids)} connection change(s) recorded")


def release_links_left_off(
    links: list[Service], *, sessions: Sessions, outbox: Outbox, event_id: int
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
    outbox.alert(f"ops:link_left_off:{event_id}", "link.left_off", text, fields)
    forget_links_left_off(sessions, links)


def notify_links(
    links: Iterable[Service],
    host: StaffMember | None,
    *,
    paused: bool,
    reason: str,
    outbox: Outbox,
    event_id: int,
    connection_id: str,
) -> None:
    """Record one host email per link and one ops alert per event, each once."""
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
        outbox.email(f"email:{service.id}:{kind}:{event_id}", spec)
    verb = "deactivated" if paused else "reactivated"
    fields = {
        "service_ids": ",".join(s.id for s in links),
        "connection_id": connection_id,
        "event_id": str(event_id),
    }
    text = f"{len(links)} link(s) {verb}: {reason}"
    outbox.alert(f"ops:{kind}:{event_id}", f"link.{verb}", text, fields)


def _ensure_import(wix: WixClient, connection: dict[str, Any]) -> bool:
    """Turn importing busy times on when it is off (re-read first); True when we changed it."""
    if dig(connection, "syncConfig", "listEventFromCalendars", "enabled"):
        return False
    try:
        current = wix.calendars.get_connection(connection["id"])
    except WixNotFoundError:
        return False
    if current.import_enabled:
        return False
    config = copy.deepcopy(current.raw.get("syncConfig") or {}) or sync_config(
        import_enabled=True, export_enabled=current.export_enabled
    )
    config.setdefault("listEventFromCalendars", {"primaryCalendar": {}})["enabled"] = True
    wix.calendars.update_sync_config(current.id, config)
    return True
