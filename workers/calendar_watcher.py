"""The calendar watcher: poll each installed site's calendar connections; a change becomes an event.

Wix sends no webhook when a host's calendar connection breaks or recovers, so beat runs this
every CALENDAR_POLL_SECONDS. Each change is stored like a webhook (source `watcher`) and queued
(processor/meetings/connection_changes.py holds the rules).
"""

from __future__ import annotations

from typing import Any

import structlog

from processor.meetings.connection_changes import check_connections
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
            wix = deps.wix(instance_id)
        except WixNotConfiguredError as exc:
            log.warning("watcher.not_configured", error=str(exc))
            return []
        if wix.site_key in polled:
            continue
        polled.add(wix.site_key)
        try:
            new_ids += check_connections(wix, deps.sessions, instance_id, clock=deps.clock)
        except WixError as exc:  # one site failing must not stop the others
            log.warning(
                "watcher.site_failed", instance_id=instance_id, error=type(exc).__name__, status=exc.status
            )
            failure = type(exc).__name__ + (f" ({exc.status})" if exc.status else "")
            sites.record_poll(deps.sessions, instance_id, now=deps.clock(), error=failure)
    if new_ids:
        publish(celery, new_ids)
    log.info("watcher.polled", sites=len(polled), changes=len(new_ids))
    return new_ids
