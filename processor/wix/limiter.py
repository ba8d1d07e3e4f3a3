"""A token bucket per Wix site, shared within the process, so bursts wait instead of hitting 429."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for_site(site_key: str) -> RateLimiter:
    """The process-wide limiter of one site (instance id or site id)."""
    with _limiters_lock:
        limiter = _limiters.get(site_key)
        if limiter is None:
            limiter = _limiters[site_key] = RateLimiter()
        return limiter
