"""The per-site limiter lets a burst through, then spreads requests to the per-minute rate."""

import pytest

from processor.wix.limiter import (
    Budget,
    BudgetDeferred,
    LocalBudgets,
    RateLimiter,
    SharedLimiter,
    gcra_take,
    limiter_for_site,
)


class ManualClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def acquire_times(limiter: RateLimiter, clock: ManualClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(clock.now)
    return times


def test_burst_goes_through_without_waiting():
    clock = ManualClock()
    limiter = RateLimiter(200, burst=10, clock=clock, sleep=clock.sleep)

    times = acquire_times(limiter, clock, 10)

    assert times == [0.0] * 10


def test_a_long_burst_stays_under_the_limit_in_every_minute():
    clock = ManualClock()
    limiter = RateLimiter(200, burst=10, clock=clock, sleep=clock.sleep)

    times = acquire_times(limiter, clock, 600)

    for start in times:
        in_window = sum(1 for t in times if start <= t < start + 60)
        assert in_window <= 200 + 10
    assert sum(1 for t in times if t < 60) >= 200  # and it does not throttle below the limit


def test_limiter_is_shared_per_site_within_the_process():
    assert limiter_for_site("site-a") is limiter_for_site("site-a")
    assert limiter_for_site("site-a") is not limiter_for_site("site-b")


def test_gcra_lets_a_burst_through_then_one_request_per_interval():
    budget = Budget(requests_per_minute=60, burst=3, max_wait=10.0)  # one a second, 3 at once
    tat, waits = None, []
    for _ in range(5):
        tat, wait = gcra_take(tat, 100.0, budget)
        waits.append(wait)

    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_gcra_refuses_a_take_that_would_wait_too_long_and_reserves_nothing():
    budget = Budget(requests_per_minute=60, burst=2, max_wait=0.5)
    tat, _ = gcra_take(None, 0.0, budget)
    tat, _ = gcra_take(tat, 0.0, budget)

    refused, wait = gcra_take(tat, 0.0, budget)

    assert refused is None
    assert wait == 1.0  # the budget allows the next one in a second
    assert gcra_take(tat, 1.0, budget) == (tat + 1.0, 0.0)  # and then it goes, as if never asked


def test_gcra_never_grants_more_than_burst_plus_the_rate_in_any_window():
    budget = Budget(requests_per_minute=200, burst=10, max_wait=0.0)
    tat: float | None = None
    granted = []
    for step in range(200_000):  # takers asking every 1 ms for 200 s
        now = step / 1000
        new_tat, _ = gcra_take(tat, now, budget)
        if new_tat is not None:
            tat = new_tat
            granted.append(now)
    most = max(sum(1 for t in granted[i:] if t < start + 60) for i, start in enumerate(granted[:300]))

    assert most <= 210


def test_a_shared_limiter_sleeps_a_short_wait_and_defers_a_long_one():
    slept: list[float] = []
    budgets = LocalBudgets(clock=lambda: 0.0)  # three takers at the same instant
    limiter = SharedLimiter("site-1", budgets.take, Budget(60, burst=1, max_wait=1.5), sleep=slept.append)

    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 1.0
    with pytest.raises(BudgetDeferred) as deferred:
        limiter.acquire()

    assert slept == [1.0]  # the short wait was slept, the long one not
    assert deferred.value.retry_in == 2.0
    assert deferred.value.site_key == "site-1"
