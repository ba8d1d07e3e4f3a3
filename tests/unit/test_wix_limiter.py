"""The per-site limiter lets a burst through, then spreads requests to the per-minute rate."""

from processor.wix.limiter import RateLimiter, limiter_for_site


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
