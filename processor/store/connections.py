"""The calendar watcher's memory: the last status seen of each external calendar connection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.store.db import Sessions, session_scope, upsert_insert
from processor.store.models import CalendarConnectionState


def lock_site_connections(session: Session, instance_id: str) -> dict[str, CalendarConnectionState]:
    """The site's known connections, locked until the session ends (two watchers: the second waits)."""
    rows = session.execute(
        select(CalendarConnectionState)
        .where(CalendarConnectionState.instance_id == instance_id)
        .with_for_update()
    ).scalars()
    return {row.connection_id: row for row in rows}


def first_sighting(
    session: Session, connection_id: str, instance_id: str, *, status: str, now: datetime
) -> tuple[CalendarConnectionState, bool]:
    """The row of a connection not yet locked here: (row, True) when this call inserted it.

    An upsert, not an add: two watchers (or the watcher and the calendar return page) seeing a new
    connection at once both try to insert it. The second waits for the first's commit (PostgreSQL),
    inserts nothing and gets the first's row, locked, to compare with like any known connection.
    """
    inserted = session.execute(
        upsert_insert(session, CalendarConnectionState)
        .values(
            connection_id=connection_id,
            instance_id=instance_id,
            status=status,
            status_since=now,
            last_seen_at=now,
            missing_count=0,
        )
        .on_conflict_do_nothing(index_elements=["connection_id"])
        .returning(CalendarConnectionState.connection_id)
    ).scalar_one_or_none()
    row = session.get(CalendarConnectionState, connection_id, with_for_update=True, populate_existing=True)
    assert row is not None  # inserted now, or by the one we waited for
    return row, inserted is not None


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


def schedule_connections(sessions: Sessions, schedule_id: str) -> list[CalendarConnectionState]:
    """Every connection the watcher knows of one host schedule, as last seen (read now)."""
    with session_scope(sessions) as session:
        return list(
            session.execute(
                select(CalendarConnectionState)
                .where(CalendarConnectionState.schedule_id == schedule_id)
                .order_by(CalendarConnectionState.connection_id)
            ).scalars()
        )
