"""Scheduling links the processor turned off (a broken calendar), so recovery turns only those back on;
and the per-schedule hold that lets one pause or resume of a host's links run at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from processor import deadline as attempt_deadline
from processor.store.db import Sessions, session_scope, upsert_insert, utcnow
from processor.store.ledger import LedgerBusyError
from processor.store.models import DeactivatedLink, LedgerEntry

HOLD_POLL_SECONDS = 0.1


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


@contextmanager
def holding_link_switch(
    sessions: Sessions, schedule_id: str, *, lease: timedelta, wait_seconds: float = 20.0
) -> Iterator[None]:
    """One pause or resume of a host schedule's links at a time, in any process.

    The holder reads the connections' latest status and makes its Wix writes inside, so a break
    and a recovery of the same host can never interleave their reads and writes. A `pending`
    ledger row keyed `hold:links:<schedule>` is the hold: each step a short transaction of its own
    (no database lock is held across the Wix calls); a dead holder's row is taken over after
    `lease`. Waits up to `wait_seconds`, then raises LedgerBusyError (the event retries later).
    """
    key = f"hold:links:{schedule_id}"
    left = attempt_deadline.remaining()  # never wait past the attempt's own deadline
    deadline = time.monotonic() + (wait_seconds if left is None else max(0.0, min(wait_seconds, left)))
    taken_at = _take_hold(sessions, key, lease)
    while taken_at is None:
        if time.monotonic() >= deadline:
            raise LedgerBusyError(f"the links of schedule {schedule_id} are being switched by another worker")
        time.sleep(HOLD_POLL_SECONDS)
        taken_at = _take_hold(sessions, key, lease)
    try:
        yield
    finally:
        with session_scope(sessions) as session:
            session.execute(
                delete(LedgerEntry).where(LedgerEntry.key == key, LedgerEntry.created_at == taken_at)
            )


def _take_hold(sessions: Sessions, key: str, lease: timedelta) -> datetime | None:
    """Insert the hold row (or take over an expired one); when it was taken, None if someone holds it."""
    now = utcnow()
    with session_scope(sessions) as session:
        inserted = session.execute(
            upsert_insert(session, LedgerEntry)
            .values(key=key, state="pending", created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(LedgerEntry.key)
        ).scalar_one_or_none()
        if inserted is not None:
            return now
        taken = session.execute(  # a holder that died holding it: its lease is over
            update(LedgerEntry)
            .where(LedgerEntry.key == key, LedgerEntry.created_at < now - lease)
            .values(created_at=now)
        )
        return now if taken.rowcount == 1 else None  # type: ignore[attr-defined]
