"""Calendar connection changes: compare what Wix lists with what was seen last, store each change as an event.

Wix sends no webhook when a host's calendar connection breaks or recovers, so the calendar watcher
(and the OAuth return page) list connections and record every status change here, exactly like a
received webhook (source `watcher`), deduplicated by connection id, status and first sighting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from processor.store import inbox, sites
from processor.store.connections import first_sighting, lock_site_connections
from processor.store.db import Sessions
from processor.wix.client import WixClient
from processor.wix.staff import StaffMember
from processor.wix_event import WixEvent

CONNECTION_EVENT_TYPE = "wix_meetings.calendar_connection.status_changed"
WATCHER_SOURCE = "watcher"
DISCONNECTED = "DISCONNECTED"
MISSING_ROUNDS_FOR_DISCONNECTED = 2  # Wix API assumption #28: missing twice = DISCONNECTED
_MAX_ID = 200
# The watcher's columns (models.CalendarConnectionState): a value Wix may send longer than its docs'
# enums (a new errorReason, an unknown status) is kept cut to fit, the whole of it in the event.
_MAX_STATUS, _MAX_ERROR_REASON, _MAX_SCHEDULE_ID = 30, 60, 100


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
    known = lock_site_connections(session, instance_id)
    changes: list[ConnectionChange] = []
    seen: set[str] = set()
    for connection in connections:
        connection_id = connection["id"]
        status = _fits(connection.get("status"), _MAX_STATUS) or "UNDEFINED"
        seen.add(connection_id)
        row, new = known.get(connection_id), False
        if row is None:  # new, known under another instance id, or just added by a racing watcher
            row, new = first_sighting(session, connection_id, instance_id, status=status, now=now)
        if new:
            changes.append(ConnectionChange(connection, None, now))
        elif row.status != status:
            changes.append(ConnectionChange(connection, row.status, now))
            row.status, row.status_since = status, now
        row.schedule_id = _fits(connection.get("scheduleId"), _MAX_SCHEDULE_ID)
        row.error_reason = _fits(connection.get("errorReason"), _MAX_ERROR_REASON)
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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _fits(value: Any, limit: int) -> str | None:
    """`value` as text cut to `limit` characters (None stays None; a number or object is its text)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit]


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else _digest(text)


def check_connections(
    wix: WixClient,
    sessions: Sessions,
    instance_id: str,
    *,
    clock: Callable[[], datetime],
    schedule_ids: Sequence[str] | None = None,
) -> list[int]:
    """List the connections of these host schedules (default: every host's); record the changes.

    Returns the ids of the new events, stored `received`: the caller publishes them (else the sweep does).
    """
    hosts = None if schedule_ids is not None else wix.staff.query()
    wanted = list(schedule_ids) if schedule_ids is not None else _schedule_ids(hosts or [])
    listing = wix.calendars.list_connections(wanted or None)
    now = clock()
    new_ids = record_connection_changes(
        sessions,
        instance_id,
        [connection.raw for connection in listing.connections],
        now=now,
        failed_provider_ids=listing.failed_provider_ids,
        schedule_ids=schedule_ids,
    )
    if hosts is not None:  # a whole-site look: the console's sites page shows when, and whom it saw
        summary = [{"id": m.id, "name": m.name, "schedule_id": m.events_schedule_id} for m in hosts]
        sites.record_poll(sessions, instance_id, now=now, hosts=summary)
    return new_ids


def _schedule_ids(hosts: Sequence[StaffMember]) -> list[str]:
    return [m.events_schedule_id for m in hosts if m.events_schedule_id]


def host_schedule_ids(wix: WixClient) -> list[str]:
    """Every host's events schedule id (assumption #23: a listing without scheduleIds is undocumented)."""
    return _schedule_ids(wix.staff.query())
