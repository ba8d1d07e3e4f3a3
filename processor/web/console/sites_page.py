"""Sites: each installed site's Meetings link, hosts and calendar connections as the watcher last saw them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue

from processor.store import connections, paused_links, sites
from processor.store.db import Sessions
from processor.store.models import CalendarConnectionState, DeactivatedLink, Site
from processor.web.console.blueprint import bp
from processor.web.console.pages import page
from processor.web.context import current_settings


@dataclass
class HostView:
    """A host of a site and the calendar connections of their schedule."""

    name: str
    staff_id: str | None
    schedule_id: str | None
    connections: list[CalendarConnectionState] = field(default_factory=list)


@dataclass
class SiteView:
    site: Site
    hosts: list[HostView]
    paused: list[DeactivatedLink]


def site_view(sessions: Sessions, site: Site) -> SiteView:
    """Hosts from the watcher's last look, each with the connections of their schedule (unknown ones last)."""
    by_schedule: dict[str | None, HostView] = {}
    for host in site.hosts or []:
        schedule = host.get("schedule_id")
        by_schedule[schedule] = HostView(host.get("name") or "(no name)", host.get("id"), schedule)
    for connection in connections.site_connections(sessions, site.instance_id):
        view = by_schedule.get(connection.schedule_id)
        if view is None:
            view = by_schedule.setdefault(
                connection.schedule_id, HostView("(host not seen)", None, connection.schedule_id)
            )
        view.connections.append(connection)
    paused = paused_links.deactivated_links(sessions, instance_id=site.instance_id)
    return SiteView(site, list(by_schedule.values()), paused)


@bp.get("/sites", endpoint="sites")
def sites_page() -> ResponseReturnValue:
    """Every site we serve, newest install last."""
    sessions: Sessions = current_app.extensions["sessions"]
    settings = current_settings()
    views = [site_view(sessions, site) for site in sites.list_sites(sessions, settings)]
    return page(
        "sites.html",
        sites=views,
        auth_mode=settings.wix_auth_mode,
        calendar_poll=settings.calendar_poll_seconds,
    )


@bp.app_template_filter("connection_summary")
def connection_summary(connection: CalendarConnectionState) -> dict[str, Any]:
    """The parts of a stored connection the page shows."""
    raw = connection.connection or {}
    return {
        "calendar": raw.get("calendarType") or raw.get("providerId") or "calendar",
        "account": raw.get("externalAccountEmail"),
    }
