"""Which Wix request budget a process spends: each site's, shared by every process that calls Wix.

Wix allows 200 requests a minute per site, whoever sends them: the workers, the console's link
switch and the calendar return page all spend the one budget, kept in Redis when the broker is
Redis (processor/wix/redis_limits.py, one client per process and URL) and in the store otherwise
(processor/store/rate_limits.py). The ops CLI keeps a budget of its own process (docs/decisions.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from processor.config import Settings
from processor.store.db import Sessions
from processor.store.rate_limits import StoreBudgets
from processor.wix.limiter import SharedLimiter, SiteLimiter, Take
from processor.wix.redis_limits import RedisBudgets

_redis: dict[str, RedisBudgets] = {}
_lock = threading.Lock()


def _shared_take(settings: Settings, sessions: Sessions) -> Take:
    """The `take` of the shared budgets: Redis's when CELERY_BROKER_URL is Redis, else the store's."""
    broker = settings.celery_broker_url
    if not broker.startswith(("redis://", "rediss://")):
        return StoreBudgets(sessions).take
    with _lock:
        if broker not in _redis:
            _redis[broker] = RedisBudgets(broker)
        return _redis[broker].take


def shared_limiters(settings: Settings, sessions: Sessions) -> Callable[[str], SiteLimiter]:
    """`make_wix_client(limiter_factory=…)`: each site's limiter over the shared budgets."""
    take = _shared_take(settings, sessions)
    return lambda site_key: SharedLimiter(site_key, take)
