"""What the store says about a part's events: statuses, and each event's received and attempt times."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from processor.store.models import Attempt, Event, Notification

TERMINAL = ("succeeded", "ignored", "skipped", "dead")


@dataclass(frozen=True)
class EventTimes:
    """One event: its status and when it was received, first claimed and first finished."""

    event_id: int
    status: str
    received_at: datetime
    first_started: datetime | None
    first_finished: datetime | None
    attempts: int


def status_counts(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Event.status, func.count()).group_by(Event.status)).all()
    return Counter({str(status): int(n) for status, n in rows})


def unfinished(counts: Counter[str]) -> int:
    return sum(n for status, n in counts.items() if status not in TERMINAL)


def event_times(engine: Engine) -> dict[int, EventTimes]:
    """Every event with its first attempt's times (the attempt with the lowest number)."""
    with engine.connect() as conn:
        events = conn.execute(select(Event.id, Event.status, Event.received_at)).all()
        attempts = conn.execute(
            select(Attempt.event_id, Attempt.number, Attempt.started_at, Attempt.finished_at)
        ).all()
    first: dict[int, tuple[int, datetime, datetime | None]] = {}
    counts: Counter[int] = Counter()
    for event_id, number, started, finished in attempts:
        counts[event_id] += 1
        if event_id not in first or number < first[event_id][0]:
            first[event_id] = (number, started, finished)
    return {
        event_id: EventTimes(
            event_id,
            str(status),
            received,
            first[event_id][1] if event_id in first else None,
            first[event_id][2] if event_id in first else None,
            counts[event_id],
        )
        for event_id, status, received in events
    }


def notification_counts(engine: Engine) -> Counter[str]:
    """Stored notifications by `<channel>:<status>`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Notification.channel, Notification.status, func.count()).group_by(
                Notification.channel, Notification.status
            )
        ).all()
    return Counter({f"{channel}:{status}": int(n) for channel, status, n in rows})


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of `values`; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]
