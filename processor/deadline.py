"""The running attempt's deadline, checked by the calls a flow makes.

Celery's prefork pool enforces `TASK_TIME_LIMIT_SECONDS` by killing the child; its threads pool (the
default, `WORKER_POOL=threads`) enforces no time limit at all. The exactly-once promise needs one: the
ledger hands a pending key (`refund:<booking>`) to another worker after `STUCK_AFTER_SECONDS`, which
start-up makes longer than the time limit, so no live attempt may outlast it. `workers.processing`
runs each flow inside `running_until(soft limit)`; every Wix call checks the deadline first and gets
at most the time that is left as its timeout, and a wait for a busy hold gives up at it. An attempt
past its deadline fails with `DeadlineExceeded` (retried with backoff like any transient failure),
so a flow's wall time is bounded by the soft limit plus one bounded wait, under either pool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("attempt_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The attempt ran out of its time; what it did so far stands, the rest is retried."""


@contextmanager
def running_until(seconds: float) -> Iterator[None]:
    """Give the code inside `seconds` from now (per thread: a contextvar)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left of the running attempt, or None outside one (CLI, web)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def check(doing: str) -> float | None:
    """Raise DeadlineExceeded when the attempt's time is up; else the seconds left (None: no deadline)."""
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded(f"attempt ran out of time before {doing}")
    return left
