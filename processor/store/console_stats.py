"""The console's front-page figures, each from one bounded query (no full scans of the event table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from processor.store.models import Attempt, Event, EventStatus

S = EventStatus
WAITING = (S.RECEIVED.value, S.QUEUED.value)
# Processing time is taken over the newest attempts only (by primary key, so an index walk).
DURATION_SAMPLE = 10_000


@dataclass(frozen=True)
class Durations:
    """Processing time of recent finished attempts, in seconds."""

    count: int
    p50: float | None
    p99: float | None


def per_minute_by_status(
    session: Session, since: datetime, *, bucket_minutes: int = 10
) -> dict[str, list[tuple[datetime, int]]]:
    """Events received since `since`, counted per bucket of `bucket_minutes` and their status now.

    One GROUP BY over the `received_at` index range: at most (24 h / bucket) times statuses rows back.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        minute = func.date_trunc("minute", Event.received_at)
    else:
        minute = func.strftime("%Y-%m-%d %H:%M", Event.received_at)
    rows = session.execute(
        select(minute, Event.status, func.count())
        .where(Event.received_at >= since)
        .group_by(minute, Event.status)
    ).all()
    buckets: dict[str, dict[datetime, int]] = {}
    for value, status, count in rows:
        at = _as_datetime(value, since)
        offset = int((at - since).total_seconds() // 60) // bucket_minutes
        start = since + timedelta(minutes=offset * bucket_minutes)
        per_status = buckets.setdefault(status, {})
        per_status[start] = per_status.get(start, 0) + count
    return {status: sorted(values.items()) for status, values in buckets.items()}


def _as_datetime(value: object, since: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=since.tzinfo)
    return datetime.fromisoformat(str(value)).replace(tzinfo=since.tzinfo)


def processing_durations(session: Session, since: datetime) -> Durations:
    """p50/p99 of the newest DURATION_SAMPLE attempts that finished since `since`."""
    newest = (
        select(Attempt.started_at, Attempt.finished_at)
        .order_by(Attempt.id.desc())
        .limit(DURATION_SAMPLE)
        .subquery()
    )
    rows = session.execute(
        select(newest.c.started_at, newest.c.finished_at).where(newest.c.finished_at >= since)
    ).all()
    seconds = sorted(
        (finished - started).total_seconds() for started, finished in rows if finished and started
    )
    if not seconds:
        return Durations(0, None, None)
    return Durations(len(seconds), _percentile(seconds, 0.50), _percentile(seconds, 0.99))


def _percentile(ordered: list[float], fraction: float) -> float:
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def oldest_waiting(session: Session) -> datetime | None:
    """When the oldest event still received or queued (not yet claimed by a worker) arrived."""
    value: datetime | None = session.execute(
        select(func.min(Event.received_at)).where(Event.status.in_(WAITING))
    ).scalar_one_or_none()
    return value


def counts_by_status(session: Session) -> dict[str, int]:
    """Events in each status (the status index; what queue depth and failures are read from)."""
    rows = session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
    return {status: count for status, count in rows}
