"""The calendar watcher: poll each installed site's calendar connections; a change becomes an event.

Wix sends no webhook when a host's calendar connection breaks or recovers, so beat runs this
every CALENDAR_POLL_SECONDS. Each change is stored like a webhook (source `watcher`) and queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from processor.queue import publish
from processor.store import sites
from processor.wix.client import WixNotConfiguredError
from processor.wix.errors import WixError
from workers.wiring import Deps

log = structlog.get_logger(__name__)


def watch_calendars(deps: Deps, celery: Any) -> list[int]:
    """Poll every installed site once (a site reached by several instance ids, once); publish changes."""
    polled: set[str] = set()
    new_ids: list[int] = []
    for instance_id in sites.installed_instance_ids(deps.sessions, deps.settings):
        try:
            site_key = deps.wix(instance_id).site_key
        except WixNotConfiguredError as exc:
            log.warning("watcher.not_configured", error=str(exc))
            return []
        if site_key in polled:
            continue
        polled.add(site_key)
        try:
            new_ids += check_connections(deps, instance_id)
        except WixError as exc:  # one site failing must not stop the others
            log.warning(
                "watcher.site_failed", instance_id=instance_id, error=type(exc).__name__, status=exc.status
            )
    if new_ids:
        publish(celery, new_ids)
    log.info("watcher.polled", sites=len(polled), changes=len(new_ids))
    return new_ids


def check_connections(
    deps: Deps, instance_id: str, *, schedule_ids: Sequence[str] | None = None
) -> list[int]:
    """List the connections of these host schedules (default: every host's); record the changes."""
    wix = deps.wix(instance_id)
    wanted = list(schedule_ids) if schedule_ids is not None else _host_schedule_ids(deps, instance_id)
    listing = wix.calendars.list_connections(wanted or None)
    return sites.record_connection_changes(
        deps.sessions,
        instance_id,
        [connection.raw for connection in listing.connections],
        now=deps.clock(),
        failed_provider_ids=listing.failed_provider_ids,
        schedule_ids=schedule_ids,
    )


def check_now(deps: Deps, instance_id: str, *, schedule_ids: Sequence[str] | None = None) -> list[int]:
    """An immediate check outside the beat (a host's staff record changed); publishes what it finds."""
    new_ids = check_connections(deps, instance_id, schedule_ids=schedule_ids)
    if new_ids:
        from workers import app  # the worker's Celery app; flows themselves never touch Celery

        publish(app, new_ids)
    return new_ids


def _host_schedule_ids(deps: Deps, instance_id: str) -> list[str]:
    # Wix API assumption #23: listing without scheduleIds is undocumented; ask for the hosts'.
    members = deps.wix(instance_id).staff.query()
    return [m.events_schedule_id for m in members if m.events_schedule_id]
