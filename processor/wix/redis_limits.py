"""Wix request budgets in Redis: one atomic GCRA script per take, shared by every process and host.

The script reads Redis's own clock (`TIME`), so hosts whose clocks disagree still share one budget.
When Redis cannot be reached, the take falls back to a budget of this process alone (the old
behaviour): a Redis outage stops the broker anyway, and the flows already running should finish.
"""

from __future__ import annotations

import os
import threading

import redis
import structlog
from redis.commands.core import Script

from processor.wix.limiter import Budget, LocalBudgets

log = structlog.get_logger(__name__)

# KEYS[1] the site's key; ARGV interval, burst span, max wait (seconds). Returns {granted, wait}.
# Same arithmetic as processor.wix.limiter.gcra_take; the key expires once its budget is whole again.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst_span = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - burst_span - now
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {1, tostring(wait)}
"""
KEY_PREFIX = "wix-meetings:rate:"


class RedisBudgets:
    """`take(key, budget)` for SharedLimiter, over one Redis connection pool per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pid = -1
        self._lock = threading.Lock()
        self._client: redis.Redis[bytes] | None = None
        self._fallback = LocalBudgets()
        self._registered: Script | None = None

    def take(self, key: str, budget: Budget) -> tuple[bool, float]:
        try:
            granted, wait = self._script()(
                keys=[KEY_PREFIX + key], args=[budget.interval, budget.burst_span, budget.max_wait]
            )
        except redis.RedisError as exc:
            log.warning("wix.rate_limit_local", key=key, error=type(exc).__name__)
            return self._fallback.take(key, budget)
        return bool(int(granted)), float(wait)

    def _script(self) -> Script:
        with self._lock:  # a forked child makes its own pool
            if self._client is None or self._pid != os.getpid():
                self._client = redis.Redis.from_url(self.url, socket_timeout=2.0, socket_connect_timeout=1.0)
                self._pid = os.getpid()
                self._registered = self._client.register_script(GCRA_SCRIPT)
            assert self._registered is not None
            return self._registered
