"""Wix request budgets in the `rate_limits` table: one GCRA take per statement, shared by every
worker process on the embedded defaults (SQLite store and broker), or on PostgreSQL without Redis.

The take is one upsert: the row's `tat` moves on only when the wait it implies is at most the
budget's `max_wait` (the `WHERE` of `ON CONFLICT DO UPDATE`); PostgreSQL's row lock and SQLite's
single writer make concurrent takes queue. The clock is this host's (`time.time()`): hosts sharing
a PostgreSQL store need synchronised clocks, as they do for JWTs anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select, text

from processor.store.db import Sessions, session_scope
from processor.store.models import RateLimit


class Budget(Protocol):
    """The rule of a take (processor.wix.limiter.Budget): seconds per request, burst, longest wait."""

    @property
    def interval(self) -> float: ...

    @property
    def burst_span(self) -> float: ...

    @property
    def max_wait(self) -> float: ...


_TAKE = """
INSERT INTO rate_limits (key, tat) VALUES (:key, :first_tat)
ON CONFLICT (key) DO UPDATE SET tat = {greatest}(rate_limits.tat, :now) + :interval
WHERE {greatest}(rate_limits.tat, :now) + :interval - :burst_span - :now <= :max_wait
RETURNING tat
"""
_TAKES = {
    "postgresql": text(_TAKE.format(greatest="GREATEST")),
    "sqlite": text(_TAKE.format(greatest="MAX")),
}


class StoreBudgets:
    """`take(key, budget)` for processor.wix.limiter.SharedLimiter, kept in the store."""

    def __init__(self, sessions: Sessions, clock: Callable[[], float] = time.time) -> None:
        self._sessions = sessions
        self._clock = clock

    def take(self, key: str, budget: Budget) -> tuple[bool, float]:
        """(True, seconds to wait) with the request counted, or (False, seconds until it would be)."""
        now = self._clock()
        with session_scope(self._sessions) as session:
            statement = _TAKES[session.get_bind().dialect.name]
            tat = session.execute(
                statement,
                {
                    "key": key,
                    "first_tat": now + budget.interval,
                    "now": now,
                    "interval": budget.interval,
                    "burst_span": budget.burst_span,
                    "max_wait": budget.max_wait,
                },
            ).scalar_one_or_none()
            if tat is not None:
                return True, max(0.0, tat - budget.burst_span - now)
            current = session.scalar(select(RateLimit.tat).where(RateLimit.key == key)) or now
        return False, max(current, now) + budget.interval - budget.burst_span - now
