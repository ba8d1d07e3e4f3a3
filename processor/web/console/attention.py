"""Needs attention: failing events grouped by cause, links we paused that are still off, broken calendars."""

from __future__ import annotations

from typing import Any

import structlog
from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from processor.meetings.errors import MeetingsError
from processor.meetings.link_switch import set_link_active
from processor.store import attention, paused_links, sites
from processor.store.db import Sessions
from processor.store.tokens import StoreTokenCache
from processor.web.console.blueprint import bp
from processor.web.console.pages import page
from processor.web.context import current_settings, short_session
from processor.wix import WixError, WixNotConfiguredError, make_wix_client
from processor.wix_budgets import shared_limiters

log = structlog.get_logger(__name__)


def host_names(sessions: Sessions) -> dict[str, dict[str, Any]]:
    """schedule id → the host the watcher last saw with it (name, staff id, site)."""
    hosts: dict[str, dict[str, Any]] = {}
    for site in sites.list_sites(sessions, current_settings()):
        for host in site.hosts or []:
            if host.get("schedule_id"):
                hosts[host["schedule_id"]] = {**host, "instance_id": site.instance_id}
    return hosts


@bp.get("/attention", endpoint="attention")
def attention_page() -> ResponseReturnValue:
    """Failure groups with "replay this group", paused links with "turn on", broken connections."""
    sessions: Sessions = current_app.extensions["sessions"]
    paused, hosts = paused_links.deactivated_links(sessions), host_names(sessions)
    with short_session() as session:
        groups, truncated = attention.failure_groups(session)
        broken = attention.broken_connections(session)
    return page(
        "attention.html",
        groups=groups,
        truncated=truncated,
        scan_limit=attention.GROUP_SCAN_LIMIT,
        paused=paused,
        broken=broken,
        hosts=hosts,
    )


@bp.post("/links/<service_id>/activate")
def activate_link(service_id: str) -> ResponseReturnValue:
    """Turn a link back on: the code of `wix-meetings links activate` (a person's decision)."""
    sessions: Sessions = current_app.extensions["sessions"]
    instance_id = request.form.get("instance_id") or None
    try:
        settings = current_settings()
        limiters = shared_limiters(settings, sessions)  # the workers' budget of the site, not one beside it
        wix = make_wix_client(settings, instance_id, StoreTokenCache(sessions), limiter_factory=limiters)
        link, changed = set_link_active(wix, sessions, service_id, instance_id=instance_id or "", active=True)
    except (MeetingsError, WixError, WixNotConfiguredError) as exc:
        log.warning("console.link_activate_failed", service_id=service_id, error=type(exc).__name__)
        flash(f"Wix did not turn the link on: {exc}", "problem")
    else:
        log.info("console.link_activated", service_id=service_id, changed=changed)
        name = link.name or service_id
        flash(f"{name} takes bookings again." if changed else f"{name} was already on.", "ok")
    back = "console.sites" if request.form.get("back") == "sites" else "console.attention"
    return redirect(url_for(back), code=303)
