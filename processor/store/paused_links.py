"""Scheduling links the processor turned off (a broken calendar), so recovery turns only those back on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from processor.store.db import Sessions, session_scope
from processor.store.models import DeactivatedLink


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
