"""Calendar connection changes (from the watcher) and staff changes that call for a fresh look."""

from __future__ import annotations

import copy
from typing import Any

from processor.config import Settings
from processor.store import sites
from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.wix.calendars import BROKEN_STATUSES, HEALTHY_STATUSES, sync_config
from processor.wix.client import WixClient
from processor.wix.errors import WixNotFoundError
from processor.wix.wire import dig
from processor.wix_event import WixEvent
from workers import calendar_watcher
from workers.flows.registry import Outcome, Skipped, Succeeded, handles
from workers.flows.scheduling_links import (
    notify_links,
    pause_host_links,
    release_links_left_off,
    resume_host_links,
)
from workers.notify.email import Mailer
from workers.notify.ops import OpsAlerts
from workers.wiring import Deps

STAFF_EVENT_TYPES = (
    "wix.bookings.staff.v1.staff_member_connected_to_user",
    "wix.bookings.staff.v1.staff_member_disconnected_from_user",
    "wix.bookings.staff.v1.staff_member_deleted",
)


@handles(sites.CONNECTION_EVENT_TYPE)
def sync_calendar_connection(
    event: WixEvent,
    *,
    wix: WixClient,
    settings: Settings,
    sessions: Sessions,
    ledger: Ledger,
    mailer: Mailer,
    ops: OpsAlerts,
    event_id: int,
) -> Outcome:
    """Broken: pause the host's links. Healthy (new or recovered): import on, resume what we paused."""
    connection: dict[str, Any] = event.data.get("connection") or {}
    connection_id, status = connection.get("id"), connection.get("status")
    schedule_id = connection.get("scheduleId")
    if not connection_id or not schedule_id or not event.instance_id:
        return Skipped("event names no connection, schedule or site")
    state = sites.connection_state(sessions, connection_id)
    if state is not None and state.status != status:
        return Skipped(f"stale: the connection is {state.status} now, not {status}")
    if status in BROKEN_STATUSES:
        reason = f"your calendar connection is {status}" + (
            f" ({connection['errorReason']})" if connection.get("errorReason") else ""
        )
        host, paused = pause_host_links(
            wix,
            sessions,
            ledger,
            instance_id=event.instance_id,
            schedule_id=schedule_id,
            connection_id=connection_id,
            reason=reason,
            settings=settings,
            event_id=event_id,
        )
        notify_links(
            paused, host, paused=True, reason=reason, ledger=ledger, mailer=mailer, ops=ops,
            event_id=event_id, connection_id=connection_id,
        )  # fmt: skip
        return (
            Succeeded(f"{len(paused)} link(s) deactivated")
            if paused
            else Skipped("no enabled links to pause")
        )
    if status in HEALTHY_STATUSES:
        imported = _ensure_import(wix, connection)
        host, resumed, left_off = resume_host_links(
            wix, sessions, ledger, instance_id=event.instance_id, schedule_id=schedule_id, event_id=event_id
        )
        notify_links(
            resumed, host, paused=False, reason=f"calendar {status}", ledger=ledger, mailer=mailer,
            ops=ops, event_id=event_id, connection_id=connection_id,
        )  # fmt: skip
        release_links_left_off(left_off, sessions=sessions, ledger=ledger, ops=ops, event_id=event_id)
        detail = "; ".join(
            part
            for part in (
                f"{len(resumed)} link(s) reactivated" if resumed or not left_off else "",
                f"{len(left_off)} left off (edited on Wix while paused)" if left_off else "",
                "import turned on" if imported else "",
            )
            if part
        )
        changed = resumed or imported or left_off
        return Succeeded(detail) if changed else Skipped("healthy; nothing to change")
    return Skipped(f"status {status}: nothing to do")


@handles(*STAFF_EVENT_TYPES)
def check_host_calendar(event: WixEvent, *, wix: WixClient, sessions: Sessions, deps: Deps) -> Outcome:
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
    new_ids = calendar_watcher.check_now(deps, event.instance_id, schedule_ids=scope)
    return Succeeded(f"{len(new_ids)} connection change(s) recorded")


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
