"""Installed sites, the calendar watcher's memory of each connection, and links we turned off."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from processor.config import Settings
from processor.store import inbox
from processor.store.db import Sessions, session_scope
from processor.store.models import CalendarConnectionState, DeactivatedLink, Site, WixToken
from processor.wix_event import WixEvent

CONNECTION_EVENT_TYPE = "wix_meetings.calendar_connection.status_changed"
WATCHER_SOURCE = "watcher"
DISCONNECTED = "DISCONNECTED"
MISSING_ROUNDS_FOR_DISCONNECTED = 2  # Wix API assumption #28: missing twice = DISCONNECTED
SITE_FIELDS = ("meetings_service_id", "booking_page_url", "schedule_id", "booking_policy_id", "details")
_MAX_ID = 200


# -- sites ----------------------------------------------------------------------------------------


def upsert_site(sessions: Sessions, instance_id: str, *, now: datetime, **fields: Any) -> bool:
    """Record the site as installed with these fields; True when anything changed."""
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"unknown site fields: {sorted(unknown)}")
    with session_scope(sessions) as session:
        site = session.get(Site, instance_id)
        if site is None:
            session.add(Site(instance_id=instance_id, status="installed", installed_at=now, **fields))
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
        site = session.get(Site, instance_id)
        if site is None:
            session.add(Site(instance_id=instance_id, status="removed", installed_at=now, removed_at=now))
            return True
        if site.status == "removed":
            return False
        site.status, site.removed_at = "removed", now
        return True


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


# -- the calendar watcher's memory ------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionChange:
    """A connection whose status differs from the one seen last (previous None: first sighting)."""

    connection: dict[str, Any]
    previous_status: str | None
    first_seen: datetime


def observe_connections(
    session: Session,
    instance_id: str,
    connections: Iterable[dict[str, Any]],
    *,
    now: datetime,
    failed_provider_ids: Sequence[str] = (),
    schedule_ids: Sequence[str] | None = None,
    detect_missing: bool = True,
) -> list[ConnectionChange]:
    """Compare a listing with what was seen last and update it (uncommitted); return the changes.

    Connections of `failed_provider_ids` are left alone this round; with `detect_missing`, known
    connections (of `schedule_ids`, when given) absent from the listing count a missing round.
    """
    known = {
        row.connection_id: row
        for row in session.execute(
            select(CalendarConnectionState)
            .where(CalendarConnectionState.instance_id == instance_id)
            .with_for_update()  # two watchers at once: the second waits, then sees no change
        ).scalars()
    }
    changes: list[ConnectionChange] = []
    seen: set[str] = set()
    for connection in connections:
        connection_id, status = connection["id"], connection.get("status") or "UNDEFINED"
        seen.add(connection_id)
        row = known.get(connection_id) or session.get(CalendarConnectionState, connection_id)
        if row is None:
            row = CalendarConnectionState(connection_id=connection_id, instance_id=instance_id)
            row.status, row.status_since = status, now
            session.add(row)
            changes.append(ConnectionChange(connection, None, now))
        elif row.status != status:
            changes.append(ConnectionChange(connection, row.status, now))
            row.status, row.status_since = status, now
        row.schedule_id = connection.get("scheduleId")
        row.error_reason = connection.get("errorReason")
        row.connection, row.last_seen_at, row.missing_count = connection, now, 0
    if not detect_missing:
        return changes
    for connection_id, row in known.items():
        last = row.connection or {}
        if connection_id in seen or last.get("providerId") in failed_provider_ids:
            continue
        if schedule_ids is not None and row.schedule_id not in schedule_ids:
            continue
        row.missing_count += 1
        if row.missing_count >= MISSING_ROUNDS_FOR_DISCONNECTED and row.status != DISCONNECTED:
            gone = {k: v for k, v in last.items() if k != "errorReason"}
            gone.update(id=connection_id, status=DISCONNECTED)
            changes.append(ConnectionChange(gone, row.status, now))
            row.status, row.status_since, row.connection = DISCONNECTED, now, gone
    return changes


def status_change_event(instance_id: str, change: ConnectionChange) -> WixEvent:
    """The stored event of a connection's status change, deduplicated by id, status and first sighting."""
    connection_id, status = change.connection["id"], change.connection.get("status")
    first_seen = change.first_seen.isoformat().replace("+00:00", "Z")
    entity_id = _bounded(connection_id, _MAX_ID)
    wix_event_id = f"watcher:{connection_id}:{status}:{first_seen}"
    if len(wix_event_id) > _MAX_ID:
        wix_event_id = f"watcher:{_digest(connection_id)}:{status}:{first_seen}"
    data = {"connection": change.connection, "previousStatus": change.previous_status}
    return WixEvent(
        wix_event_id=wix_event_id,
        event_type=CONNECTION_EVENT_TYPE,
        instance_id=instance_id,
        entity_id=entity_id,
        entity_sequence=None,
        event_time=change.first_seen,
        payload={"eventType": CONNECTION_EVENT_TYPE, "instanceId": instance_id, "data": data},
        source=WATCHER_SOURCE,
    )


def record_connection_changes(
    sessions: Sessions,
    instance_id: str,
    connections: Iterable[dict[str, Any]],
    *,
    now: datetime,
    failed_provider_ids: Sequence[str] = (),
    schedule_ids: Sequence[str] | None = None,
    detect_missing: bool = True,
) -> list[int]:
    """Observe a listing and store each change as an event, in one commit; return new event ids."""
    with sessions() as session:
        changes = observe_connections(
            session,
            instance_id,
            connections,
            now=now,
            failed_provider_ids=failed_provider_ids,
            schedule_ids=schedule_ids,
            detect_missing=detect_missing,
        )
        new_ids = []
        for change in changes:  # the first record_received commits the state updates with it
            event_id, is_new = inbox.record_received(session, status_change_event(instance_id, change), now)
            if is_new:
                new_ids.append(event_id)
        session.commit()
    return new_ids


def record_connection_seen(
    sessions: Sessions, instance_id: str, connection: dict[str, Any], now: datetime
) -> int | None:
    """Remember one connection (e.g. from the OAuth return page); its change event id, if any.

    The event stays `received` until published; the sweep queues it if the caller does not.
    """
    new_ids = record_connection_changes(sessions, instance_id, [connection], now=now, detect_missing=False)
    return new_ids[0] if new_ids else None


def connection_state(sessions: Sessions, connection_id: str) -> CalendarConnectionState | None:
    """What the watcher saw last of one connection."""
    with session_scope(sessions) as session:
        return session.get(CalendarConnectionState, connection_id)


# -- links we deactivated ---------------------------------------------------------------------------


def record_deactivated_link(
    sessions: Sessions,
    service_id: str,
    *,
    instance_id: str,
    now: datetime,
    schedule_id: str | None = None,
    connection_id: str | None = None,
    reason: str | None = None,
    revision: int | None = None,
) -> None:
    """Remember that the processor turned this link off (recovery turns only these back on)."""
    with session_scope(sessions) as session:
        row = session.get(DeactivatedLink, service_id)
        if row is None:
            row = DeactivatedLink(service_id=service_id, instance_id=instance_id, deactivated_at=now)
            session.add(row)
        row.schedule_id = schedule_id or row.schedule_id
        row.connection_id = connection_id or row.connection_id
        row.reason = reason or row.reason
        row.revision = revision if revision is not None else row.revision


def forget_deactivated_link(sessions: Sessions, service_id: str) -> bool:
    """Drop the record of a link we turned off; True if there was one."""
    with session_scope(sessions) as session:
        result = session.execute(delete(DeactivatedLink).where(DeactivatedLink.service_id == service_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def deactivated_links(
    sessions: Sessions, *, instance_id: str | None = None, schedule_id: str | None = None
) -> list[DeactivatedLink]:
    """Links the processor turned off, optionally one site's or one host schedule's."""
    query = select(DeactivatedLink).order_by(DeactivatedLink.deactivated_at)
    if instance_id is not None:
        query = query.where(DeactivatedLink.instance_id == instance_id)
    if schedule_id is not None:
        query = query.where(DeactivatedLink.schedule_id == schedule_id)
    with session_scope(sessions) as session:
        return list(session.execute(query).scalars())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else _digest(text)
