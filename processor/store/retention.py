"""The purge: old finished events deleted, older payloads' personal data removed, in short batches.

Every batch is one short transaction over at most `batch_size` events. On PostgreSQL the batch's rows
are taken with `FOR UPDATE SKIP LOCKED`, so a purge never waits on a row a worker, a replay or another
purge holds, and two purges at once take disjoint batches; the status is re-checked under the lock, so
an event replayed a moment before is kept. SQLite has one writer at a time: a batch holds it for
milliseconds. A run stops when its time budget is spent; the next run carries on.

Events still to be processed (received, queued, processing, failed) are never deleted nor redacted. The
idempotency ledger and the records of links we paused are never touched here: they outlive the events
they protect (see docs/retention.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from processor.config import MIN_EVENT_RETENTION_DAYS, Settings
from processor.store import purged_notices
from processor.store.db import Sessions, utcnow
from processor.store.models import Attempt, Event, EventStatus, Notification
from processor.store.redaction import redact_payload

S = EventStatus
FINAL = (S.SUCCEEDED.value, S.IGNORED.value, S.SKIPPED.value)
DEAD = (S.DEAD.value,)
DEFAULT_BATCH = 500
DEFAULT_BUDGET = timedelta(minutes=5)
MIN_AGE = timedelta(days=MIN_EVENT_RETENTION_DAYS)
SQLITE_PAUSE_SECONDS = 0.1
# Notifications still to be delivered keep their message; the others lose it with the payload.
UNDELIVERED = ("pending", "sending")

Progress = Callable[[int], object]


class RetentionTooShortError(ValueError):
    """An age under MIN_EVENT_RETENTION_DAYS: deduplication would forget event ids Wix still retries."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How old an event may get: finished ones, dead ones, and a payload with its personal data."""

    finished: timedelta
    dead: timedelta
    payload: timedelta

    @classmethod
    def from_settings(cls, settings: Settings, *, older_than: timedelta | None = None) -> RetentionPolicy:
        """The settings' ages; `older_than` (the CLI's `--older-than`) replaces both event ages."""
        finished = timedelta(days=settings.retention_days)
        dead = timedelta(days=settings.dead_retention_days)
        if older_than is not None:
            if older_than < MIN_AGE:
                raise RetentionTooShortError(
                    f"--older-than: at least {MIN_EVENT_RETENTION_DAYS}d (Wix retries for about 47 hours)"
                )
            finished = dead = older_than
        return cls(finished=finished, dead=dead, payload=timedelta(days=settings.payload_retention_days))


@dataclass
class PurgeReport:
    """What one purge run removed (or, dry, would remove)."""

    deleted: dict[str, int] = field(default_factory=dict)  # events by status
    attempts_deleted: int = 0
    notifications_deleted: int = 0
    payloads_redacted: int = 0
    complete: bool = True  # False: the time budget ran out, the next run carries on
    dry_run: bool = False

    @property
    def events_deleted(self) -> int:
        return sum(self.deleted.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "events_deleted": self.events_deleted,
            "deleted_by_status": dict(sorted(self.deleted.items())),
            "attempts_deleted": self.attempts_deleted,
            "notifications_deleted": self.notifications_deleted,
            "payloads_redacted": self.payloads_redacted,
            "complete": self.complete,
        }


def purge(
    sessions: Sessions,
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    budget: timedelta = DEFAULT_BUDGET,
    progress: Progress | None = None,
) -> PurgeReport:
    """Delete what is past its age, then redact old payloads, batch by batch, within `budget`."""
    now = now or utcnow()
    deadline = time.monotonic() + budget.total_seconds()
    report = PurgeReport()
    for statuses, age in ((FINAL, policy.finished), (DEAD, policy.dead)):
        while True:
            if time.monotonic() > deadline:
                report.complete = False
                return report
            with sessions() as session, _breathing(session):
                done = _delete_batch(session, statuses, now - age, batch_size, report)
            if progress is not None and done:
                progress(done)
            if done < batch_size:
                break
    after_id = 0
    while True:
        if time.monotonic() > deadline:
            report.complete = False
            return report
        with sessions() as session, _breathing(session):
            done, after_id = _redact_batch(session, now - policy.payload, batch_size, after_id)
        report.payloads_redacted += done
        if progress is not None and done:
            progress(done)
        if after_id == 0:
            return report


@contextmanager
def _breathing(session: Session) -> Iterator[None]:
    """After a batch, pause as long as it took (at most a second): the purge takes at most half the
    store's time, whatever the backlog. On SQLite the pause is at least SQLITE_PAUSE_SECONDS, the longest
    step of SQLite's busy handler, so a writer waiting for the one write lock gets it before the next
    batch: without it, a purge of 50k events held back an ingest for 1.6 s (bench/purge_beside_ingest.py)."""
    started = time.monotonic()
    yield
    floor = SQLITE_PAUSE_SECONDS if session.get_bind().dialect.name == "sqlite" else 0.0
    time.sleep(min(max(time.monotonic() - started, floor), 1.0))


def plan(sessions: Sessions, policy: RetentionPolicy, *, now: datetime | None = None) -> PurgeReport:
    """What `purge` would do now, counted and changed nothing (`--dry-run`)."""
    now = now or utcnow()
    report = PurgeReport(dry_run=True)
    with sessions() as session:
        for statuses, age in ((FINAL, policy.finished), (DEAD, policy.dead)):
            doomed = _past(statuses, now - age)
            rows = session.execute(select(Event.status, func.count()).where(doomed).group_by(Event.status))
            for status, count in rows:
                report.deleted[status] = count
            ids = select(Event.id).where(doomed).scalar_subquery()
            report.attempts_deleted += session.execute(
                select(func.count()).select_from(Attempt).where(Attempt.event_id.in_(ids))
            ).scalar_one()
            report.notifications_deleted += session.execute(
                select(func.count()).select_from(Notification).where(Notification.event_id.in_(ids))
            ).scalar_one()
        kept = ~_past(FINAL, now - policy.finished) & ~_past(DEAD, now - policy.dead)
        report.payloads_redacted = session.execute(
            select(func.count()).select_from(Event).where(_redactable(now - policy.payload), kept)
        ).scalar_one()
    return report


def _past(statuses: tuple[str, ...], cutoff: datetime) -> Any:
    return Event.status.in_(statuses) & (Event.received_at < cutoff)


def _redactable(cutoff: datetime) -> Any:
    """Finished or dead events past the payload age whose payload still holds its personal data."""
    return _past(FINAL + DEAD, cutoff) & Event.payload_redacted_at.is_(None)


def _delete_batch(
    session: Session, statuses: tuple[str, ...], cutoff: datetime, limit: int, report: PurgeReport
) -> int:
    """One transaction: lock up to `limit` past-age events (skipping locked ones) and delete them."""
    with session.begin():
        rows = session.execute(
            select(Event.id, Event.status)
            .where(_past(statuses, cutoff))
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        ids = [row.id for row in rows]
        purged_notices.remember(session, ids, utcnow())  # no email of theirs goes twice
        report.notifications_deleted += _count(
            session.execute(delete(Notification).where(Notification.event_id.in_(ids)))
        )
        report.attempts_deleted += _count(session.execute(delete(Attempt).where(Attempt.event_id.in_(ids))))
        gone = session.execute(
            delete(Event).where(Event.id.in_(ids), Event.status.in_(statuses)).returning(Event.status)
        ).scalars()
        for status in gone:
            report.deleted[status] = report.deleted.get(status, 0) + 1
    return len(rows)


def _redact_batch(session: Session, cutoff: datetime, limit: int, after_id: int) -> tuple[int, int]:
    """One transaction: redact up to `limit` payloads after `after_id`; (count, last id or 0 when done)."""
    with session.begin():
        rows = session.execute(
            select(Event.id, Event.payload)
            .where(_redactable(cutoff), Event.id > after_id)
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0, 0
        now = utcnow()
        redact_rows(session, [(row.id, row.payload) for row in rows], now)
        session.execute(
            update(Notification)
            .where(
                Notification.event_id.in_([row.id for row in rows]),
                Notification.status.not_in(UNDELIVERED),
                Notification.message.is_not(None),
            )
            .values(message=None)
            .execution_options(synchronize_session=False)
        )
    return len(rows), (rows[-1].id if len(rows) == limit else 0)


def redact_rows(session: Session, rows: list[tuple[int, dict[str, Any]]], now: datetime) -> None:
    """Write each payload back without its personal data and stamp `payload_redacted_at` (one statement)."""
    if not rows:
        return
    table = cast(Table, Event.__table__)
    session.connection().execute(  # Core executemany: one statement for the batch
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(payload=bindparam("new_payload", type_=table.c.payload.type), payload_redacted_at=now),
        [{"row_id": event_id, "new_payload": redact_payload(payload)} for event_id, payload in rows],
    )


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
