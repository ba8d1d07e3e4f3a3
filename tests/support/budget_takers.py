"""Takers of one shared Wix budget, run in threads and in separate processes by the budget tests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from processor.store.db import make_engine, make_sessions
from processor.store.rate_limits import StoreBudgets
from processor.wix.limiter import Budget, Take
from processor.wix.redis_limits import RedisBudgets

KEY = "wix-site:one-busy-site"
# Fast enough that a test sees many refusals in a second or two; no take ever sleeps (max_wait 0).
BUDGET = Budget(requests_per_minute=600, burst=5, max_wait=0.0)


def budgets(kind: str, url: str) -> Take:
    """The `take` of the backend a worker would use: Redis, or the store at `url`."""
    if kind == "redis":
        return RedisBudgets(url).take
    return StoreBudgets(make_sessions(make_engine(url, pool_size=8))).take


def take_until(kind: str, url: str, deadline: float, threads: int = 4) -> list[float]:
    """Take from several threads until `deadline` (time.time()); the times of the granted takes."""
    take = budgets(kind, url)

    def one_thread() -> list[float]:
        granted = []
        while time.time() < deadline:
            ok, _wait = take(KEY, BUDGET)
            if ok:
                granted.append(time.time())
            else:
                time.sleep(0.005)
        return granted

    with ThreadPoolExecutor(threads) as pool:
        return [t for times in pool.map(lambda _: one_thread(), range(threads)) for t in times]
