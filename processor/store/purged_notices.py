"""Email keys of purged events: the outbox's once-per-booking memory outlives the rows the purge deletes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.store.db import upsert_insert
from processor.store.models import Notification, PurgedNotice


def remember(session: Session, event_ids: Sequence[int], now: datetime) -> None:
    """Keep the email keys of these events' notifications (in the purge's transaction, before the delete)."""
    rows = session.execute(
        select(Notification.key, Notification.event_id, Notification.status).where(
            Notification.event_id.in_(list(event_ids)), Notification.channel == "email"
        )
    ).all()
    if not rows:
        return
    session.execute(
        upsert_insert(session, PurgedNotice)
        .values([{"key": r.key, "event_id": r.event_id, "status": r.status, "purged_at": now} for r in rows])
        .on_conflict_do_nothing(index_elements=["key"])
    )
