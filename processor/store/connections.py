"""The calendar watcher's memory: the last status seen of each external calendar connection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.store.db import Sessions, session_scope
from processor.store.models import CalendarConnectionState


def lock_site_connections(session: Session, instance_id: str) -> dict[str, CalendarConnectionState]:
    """The site's known connections, locked until the session ends (two watchers: the second waits)."""
    rows = session.execute(
        select(CalendarConnectionState)
        .where(CalendarConnectionState.instance_id == instance_id)
        .with_for_update()
    ).scalars()
    return {row.connection_id: row for row in rows}


def find_connection(session: Session, connection_id: str) -> CalendarConnectionState | None:
    """One connection's row in this session (e.g. known under another instance id)."""
    return session.get(CalendarConnectionState, connection_id)


def add_connection(
    session: Session, connection_id: str, instance_id: str, *, status: str, now: datetime
) -> CalendarConnectionState:
    """A connection seen for the first time (uncommitted)."""
    row = CalendarConnectionState(
        connection_id=connection_id, instance_id=instance_id, status=status, status_since=now
    )
    session.add(row)
    return row


def connection_state(sessions: Sessions, connection_id: str) -> CalendarConnectionState | None:
    """What the watcher saw last of one connection."""
    with session_scope(sessions) as session:
        return session.get(CalendarConnectionState, connection_id)


def site_connections(sessions: Sessions, instance_id: str) -> list[CalendarConnectionState]:
    """Every connection the watcher knows of one site, by host schedule."""
    with session_scope(sessions) as session:
        return list(
            session.execute(
                select(CalendarConnectionState)
                .where(CalendarConnectionState.instance_id == instance_id)
                .order_by(CalendarConnectionState.schedule_id, CalendarConnectionState.connection_id)
            ).scalars()
        )
