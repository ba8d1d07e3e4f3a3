"""App installed: provision Meetings and remember the site. App removed: forget it, stop watching."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from processor.store import sites
from processor.store.db import Sessions
from processor.wix.client import WixClient
from processor.wix.services import Service
from processor.wix_event import WixEvent
from workers.flows.registry import Outcome, Skipped, Succeeded, handles

log = structlog.get_logger(__name__)


@handles("AppInstalled")
def provision_site(
    event: WixEvent, *, wix: WixClient, sessions: Sessions, clock: Callable[[], datetime]
) -> Outcome:
    """Provision Meetings unless a Meetings service exists; store the default link's ids (idempotent)."""
    if not event.instance_id:
        return Skipped("event names no site")
    services = wix.services.query_meetings()
    provisioned_id = None
    if not services:
        provisioned_id = wix.provisioning.provision().service_id
        services = wix.services.query_meetings()
    default = _default_service(services, provisioned_id)
    fields = {}
    if default is not None:
        fields = {
            "meetings_service_id": default.id,
            "booking_page_url": default.booking_page_url,
            "schedule_id": default.schedule_id,
            "booking_policy_id": default.booking_policy_id,
        }
    # after Wix answered: a late AppInstalled for a removed app fails above, never re-installs
    changed = sites.upsert_site(sessions, event.instance_id, now=clock(), **fields)
    log.info("site.installed", instance_id=event.instance_id, provisioned=provisioned_id is not None)
    if provisioned_id is None and not changed:
        return Skipped("already installed and provisioned")
    return Succeeded("provisioned Meetings" if provisioned_id else "site recorded")


@handles("AppRemoved")
def remove_site(event: WixEvent, *, sessions: Sessions, clock: Callable[[], datetime]) -> Outcome:
    """Mark the site removed (the watcher skips it) and drop its cached tokens."""
    if not event.instance_id:
        return Skipped("event names no site")
    changed = sites.mark_site_removed(sessions, event.instance_id, now=clock())
    log.info("site.removed", instance_id=event.instance_id)
    return Succeeded("site removed") if changed else Skipped("already removed")


def _default_service(services: list[Service], provisioned_id: str | None) -> Service | None:
    """The provisioned service if known, else the oldest Meetings service."""
    by_id = {s.id: s for s in services}
    if provisioned_id and provisioned_id in by_id:
        return by_id[provisioned_id]
    return services[0] if services else None
