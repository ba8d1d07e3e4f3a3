"""Installed sites (app instances): recorded on install, marked on removal, listed for the watcher and ops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from processor.config import Settings
from processor.store.db import Sessions, session_scope, upsert_insert
from processor.store.models import Site, WixToken

SITE_FIELDS = ("meetings_service_id", "booking_page_url", "schedule_id", "booking_policy_id", "details")


def upsert_site(sessions: Sessions, instance_id: str, *, now: datetime, **fields: Any) -> bool:
    """Record the site as installed with these fields; True when anything changed."""
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"unknown site fields: {sorted(unknown)}")
    with session_scope(sessions) as session:
        site = _new_or_locked(session, instance_id, status="installed", installed_at=now, **fields)
        if site is None:
            return True
        changed = site.status != "installed"
        if changed:
            site.status, site.installed_at, site.removed_at = "installed", now, None
        for name, value in fields.items():
            if value is not None and getattr(site, name) != value:
                setattr(site, name, value)
                changed = True
        return changed


def mark_site_removed(sessions: Sessions, instance_id: str, *, now: datetime) -> bool:
    """Mark the site removed (the watcher stops) and drop its cached tokens; True if it changed."""
    with session_scope(sessions) as session:
        session.execute(delete(WixToken).where(WixToken.instance_id == instance_id))
        site = _new_or_locked(session, instance_id, status="removed", installed_at=now, removed_at=now)
        if site is None:
            return True
        if site.status == "removed":
            return False
        site.status, site.removed_at = "removed", now
        return True


def _new_or_locked(session: Session, instance_id: str, **values: Any) -> Site | None:
    """Insert the site with `values` (None: this call inserted it), else its row, locked.

    An upsert, not a read then an add: two provisioning events of a new site at once (an install
    and its retry, or a removal delivered twice) would both read nothing and both insert. The second
    waits for the first's commit (PostgreSQL; SQLite serializes its writers), inserts nothing and
    gets the first's row to compare with."""
    inserted = session.execute(
        upsert_insert(session, Site)
        .values(instance_id=instance_id, **values)
        .on_conflict_do_nothing(index_elements=["instance_id"])
        .returning(Site.instance_id)
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    site = session.get(Site, instance_id, with_for_update=True, populate_existing=True)
    assert site is not None  # inserted by the one we waited for; sites are never deleted
    return site


def get_site(sessions: Sessions, instance_id: str) -> Site | None:
    """One site's row."""
    with session_scope(sessions) as session:
        return session.get(Site, instance_id)


def installed_instance_ids(sessions: Sessions, settings: Settings) -> list[str]:
    """Sites to serve: installed ones, plus WIX_SITE_ID in API-key mode unless removed."""
    with session_scope(sessions) as session:
        rows = session.execute(select(Site.instance_id, Site.status).order_by(Site.installed_at)).all()
    installed = [instance_id for instance_id, status in rows if status == "installed"]
    removed = {instance_id for instance_id, status in rows if status == "removed"}
    site_id = settings.wix_site_id
    if settings.wix_auth_mode == "api_key" and site_id and site_id not in removed | set(installed):
        installed.append(site_id)
    return installed


def record_poll(
    sessions: Sessions,
    instance_id: str,
    *,
    now: datetime,
    hosts: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> None:
    """The watcher looked at the whole site: when, the hosts it saw (ids, names, schedules), or why it failed.

    A site served only through WIX_SITE_ID (API-key mode) has no row yet: the first look adds one,
    `installed`, as installed_instance_ids already counts it.
    """
    with session_scope(sessions) as session:
        session.execute(  # an upsert: two watchers may give a new site its row at once
            upsert_insert(session, Site)
            .values(instance_id=instance_id, status="installed", installed_at=now)
            .on_conflict_do_nothing(index_elements=["instance_id"])
        )
        site = session.get(Site, instance_id, populate_existing=True)
        assert site is not None
        site.last_polled_at = now
        site.last_poll_error = error[:200] if error else None
        if hosts is not None:
            site.hosts = hosts


def list_sites(sessions: Sessions, settings: Settings) -> list[Site]:
    """Every site row, plus the WIX_SITE_ID site (API-key mode) before the watcher first looked at it."""
    with session_scope(sessions) as session:
        rows = list(session.execute(select(Site).order_by(Site.installed_at)).scalars())
    known = {row.instance_id for row in rows}
    if settings.wix_auth_mode == "api_key" and settings.wix_site_id and settings.wix_site_id not in known:
        rows.append(Site(instance_id=settings.wix_site_id, status="installed"))
    return rows
