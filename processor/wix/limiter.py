"""Per-site request budgets, so bursts wait instead of hitting 429.

`RateLimiter` is a token bucket within one process (tools, tests, a Redis outage). Workers share a
site's budget across processes and hosts with `SharedLimiter` over a GCRA `take` kept in Redis
(processor/wix/redis_limits.py) or in the store (processor/store/rate_limits.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from processor.wix.errors import WixError

# Wix allows 200 requests per minute per app instance; a small burst absorbs a flow's opening calls.
DEFAULT_REQUESTS_PER_MINUTE = 200
DEFAULT_BURST = 10


class RateLimiter:
    """Token bucket: `burst` requests at once, then `requests_per_minute` spread evenly."""

    def __init__(
        self,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.burst = burst
        self._per_second = requests_per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one request's token, waiting as long as needed; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._per_second)
            self._updated = now
            self._tokens -= 1.0  # reserve now, so waiters queue in order of arrival
            wait = -self._tokens / self._per_second if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


# A take that would sleep longer than this gives the worker's slot back instead (the event is
# deferred until the budget allows), far below the task's time limit. Long enough that the flows of
# one busy site queue for it instead of stopping half-way and redoing their calls later: with 2 s,
# 8 processes sent ~34 requests per refund instead of 7 (bench/README.md).
MAX_WAIT_SECONDS = 10.0


class BudgetDeferred(WixError):
    """The site's request budget is spent for longer than MAX_WAIT_SECONDS: come back in `retry_in`
    seconds. Processing turns it into a deferral (neither a failure nor a used attempt)."""

    def __init__(self, site_key: str, retry_in: float) -> None:
        super().__init__(f"Wix request budget of site {site_key} spent; retry in {retry_in:.1f} s")
        self.site_key = site_key
        self.retry_in = retry_in


class SiteLimiter(Protocol):
    """What the transport asks before each request: wait a little, or raise BudgetDeferred."""

    def acquire(self) -> float: ...


@dataclass(frozen=True)
class Budget:
    """A GCRA rule: one request every `interval` seconds, `burst` of them at once."""

    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    burst: int = DEFAULT_BURST
    max_wait: float = MAX_WAIT_SECONDS

    @property
    def interval(self) -> float:
        return 60.0 / self.requests_per_minute

    @property
    def burst_span(self) -> float:
        return self.burst * self.interval


def gcra_take(tat: float | None, now: float, budget: Budget) -> tuple[float | None, float]:
    """One take by GCRA (the "theoretical arrival time" `tat` is all the state there is).

    Returns (the new tat, seconds to wait before sending) when the wait is at most `max_wait`; else
    (None, seconds until the budget allows), and the state must stay as it was. In any 60 s window
    at most `burst + requests_per_minute` takes go through. The Redis script and the store's
    statement compute exactly this."""
    start = now if tat is None or tat < now else tat
    new_tat = start + budget.interval
    wait = max(0.0, new_tat - budget.burst_span - now)
    if wait > budget.max_wait:
        return None, wait
    return new_tat, wait


Take = Callable[[str, Budget], tuple[bool, float]]


class LocalBudgets:
    """GCRA takes kept in this process only (no Redis, or while Redis is unreachable)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, budget: Budget) -> tuple[bool, float]:
        with self._lock:
            new_tat, wait = gcra_take(self._tats.get(key), self._clock(), budget)
            if new_tat is None:
                return False, wait
            self._tats[key] = new_tat
            return True, wait


class SharedLimiter:
    """One site's budget kept elsewhere (Redis, the store): `take(key, budget)` answers (granted,
    wait) atomically for every process and host; this sleeps the short waits and defers the long."""

    def __init__(
        self,
        site_key: str,
        take: Take,
        budget: Budget | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site_key = site_key
        self.budget = budget or Budget()
        self._take = take
        self._sleep = sleep

    def acquire(self) -> float:
        granted, wait = self._take(f"wix-site:{self.site_key}", self.budget)
        if not granted:
            raise BudgetDeferred(self.site_key, wait)
        if wait > 0:
            self._sleep(wait)
        return wait


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for_site(site_key: str) -> RateLimiter:
    """The process-wide limiter of one site (instance id or site id)."""
    with _limiters_lock:
        limiter = _limiters.get(site_key)
        if limiter is None:
            limiter = _limiters[site_key] = RateLimiter()
        return limiter
