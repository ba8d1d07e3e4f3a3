"""The calendar watcher: poll each installed site's calendar connections; a change becomes an event.

Wix sends no webhook when a host's calendar connection breaks or recovers, so beat runs
`fan_out_site_polls` every CALENDAR_POLL_SECONDS: it sends one `watch_calendar_site` task per site,
so any number of sites is polled within the period by however many workers there are, and no single
task runs into the hard time limit. Each change is stored like a webhook (source `watcher`) and
queued (processor/meetings/connection_changes.py holds the rules). One site's failure, of any kind,
is logged and recorded on that site; it never stops the others.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from processor.meetings.connection_changes import check_connections
from processor.queue import publish
from processor.store import sites
from processor.wix.client import WixNotConfiguredError
from workers.wiring import Deps

log = structlog.get_logger(__name__)

WATCH_CALENDAR_SITE_TASK = "watch_calendar_site"  # one site's poll, sent by the beat task


def sites_to_poll(deps: Deps) -> list[str]:
    """The instance id to poll each installed site by (a site reached by several instance ids, once),
    the least recently polled first: when the workers cannot poll every site within one period,
    the polls that expire unrun are the freshest sites', and the next round starts with them."""
    chosen: dict[str, str] = {}
    for instance_id in sites.installed_instance_ids(deps.sessions, deps.settings):  # install order
        try:
            site_key = deps.wix(instance_id).site_key
        except WixNotConfiguredError as exc:  # the settings, not the site: no site can be polled
            log.warning("watcher.not_configured", error=str(exc))
            return []
        chosen.setdefault(site_key, instance_id)  # always the same one: its connections are its own
    polled_at = {
        row.instance_id: row.last_polled_at for row in sites.list_sites(deps.sessions, deps.settings)
    }
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(chosen.values(), key=lambda i: polled_at.get(i) or never)


def poll_site(deps: Deps, instance_id: str) -> list[int]:
    """Poll one site; new event ids. Any failure is logged and recorded on the site, never raised."""
    try:
        return check_connections(deps.wix(instance_id), deps.sessions, instance_id, clock=deps.clock)
    except Exception as exc:  # a Wix error, a store error, a bug: this site's round is lost, no other
        status = getattr(exc, "status", None)
        log.warning("watcher.site_failed", instance_id=instance_id, error=type(exc).__name__, status=status)
        failure = type(exc).__name__ + (f" ({status})" if status else "")
        try:
            sites.record_poll(deps.sessions, instance_id, now=deps.clock(), error=failure)
        except Exception as record_exc:  # the store itself is down: the log line is all there is
            log.warning("watcher.poll_not_recorded", instance_id=instance_id, error=type(record_exc).__name__)
        return []


def watch_site(deps: Deps, celery: Any, instance_id: str) -> list[int]:
    """Poll one site and publish its changes (the per-site task); not one removed since the round began."""
    site = sites.get_site(deps.sessions, instance_id)
    if site is not None and site.status == "removed":
        return []
    new_ids = poll_site(deps, instance_id)
    if new_ids:
        publish(celery, new_ids)
    return new_ids


def watch_calendars(deps: Deps, celery: Any) -> list[int]:
    """Poll every installed site here, one after another, and publish the changes (tests, small setups)."""
    polled = sites_to_poll(deps)
    new_ids = [event_id for instance_id in polled for event_id in poll_site(deps, instance_id)]
    if new_ids:
        publish(celery, new_ids)
    log.info("watcher.polled", sites=len(polled), changes=len(new_ids))
    return new_ids


def fan_out_site_polls(deps: Deps, celery: Any) -> int:
    """Send one `watch_calendar_site` task per site; the number sent.

    Each expires after one poll period: a poll still queued when the next round is sent is dropped,
    so a backlog never piles up rounds. What the broker refuses waits for the next round."""
    polled = sites_to_poll(deps)
    expires = float(deps.settings.calendar_poll_seconds) or None
    sent = 0
    for instance_id in polled:
        try:
            celery.send_task(WATCH_CALENDAR_SITE_TASK, args=[instance_id], expires=expires, retry=False)
        except Exception as exc:  # broker trouble: the next round tries again
            log.warning("watcher.fan_out_failed", sent=sent, sites=len(polled), error=type(exc).__name__)
            break
        sent += 1
    log.info("watcher.fanned_out", sites=len(polled), sent=sent)
    return sent
