"""Faults of the fake Wix API: scripted one-offs (`fail_next`), and latency plus random faults at rates."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass

SCRIPTED = "scripted"
ERROR_500 = "500"
RATE_LIMITED = "429"
DROP = "drop"
LOST_ANSWER = "lost_answer"
FAULT_KINDS = (ERROR_500, RATE_LIMITED, DROP, LOST_ANSWER, SCRIPTED)
# POSTs that only read: a "write applied, answer lost" fault makes no sense for them.
READ_ONLY_POST = re.compile(r"(/query|/search|/get-order-refundability|/time-slots|/time-slots/get)$")


@dataclass
class Fault:
    """What `fail_next` arranged for the next matching requests."""

    pattern: re.Pattern[str]
    status: int | None
    times: int
    retry_after: str | None
    delay: float | None
    drop: bool
    applied: bool = False  # with drop: the request takes effect, only its answer is lost


@dataclass(frozen=True)
class FaultRates:
    """Latency for every API call, and the probability of each random fault per call.

    `error_500`: answered 500 with an empty body, not applied. `rate_limited`: answered 429 with
    `Retry-After: retry_after`, not applied. `drop`: the connection closes unanswered, not applied.
    `lost_answer`: a write (any call but GETs and read-only POSTs) is applied, then the connection
    closes unanswered, as when Wix refunds and the answer is lost on the way.
    """

    latency: float = 0.0
    error_500: float = 0.0
    rate_limited: float = 0.0
    drop: float = 0.0
    lost_answer: float = 0.0
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        rates = (self.error_500, self.rate_limited, self.drop, self.lost_answer)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0:
            raise ValueError(f"fault rates must be in [0, 1] and sum to at most 1, got {rates}")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")

    @property
    def any_random(self) -> bool:
        return bool(self.error_500 or self.rate_limited or self.drop or self.lost_answer)

    @property
    def retry_after_header(self) -> str:
        return f"{self.retry_after:g}"

    def as_json(self) -> dict[str, float]:
        return asdict(self)


def is_write(method: str, path: str) -> bool:
    """A call that changes state at Wix (Wix queries are POSTs too)."""
    return method != "GET" and not (method == "POST" and READ_ONLY_POST.search(path))


class RandomFaults:
    """Draws each call's fault from one seeded RNG: the same seed and call order give the same faults."""

    def __init__(self, rates: FaultRates | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.configure(rates or FaultRates(), seed)

    def configure(self, rates: FaultRates, seed: int | None = None) -> None:
        """New rates; a seed restarts the random sequence (and keeps the counts)."""
        with self._lock:
            self.rates = rates
            if seed is not None:
                self.seed = seed
                self._rng = random.Random(seed)

    def draw(self, method: str, path: str) -> str | None:
        """One call's fault kind, or None; one uniform draw per call, cumulative bands per kind."""
        rates = self.rates
        if not rates.any_random:
            return None
        with self._lock:
            value = self._rng.random()
        for kind, rate in (
            (ERROR_500, rates.error_500),
            (RATE_LIMITED, rates.rate_limited),
            (DROP, rates.drop),
        ):
            if value < rate:
                return kind
            value -= rate
        if value < rates.lost_answer and is_write(method, path):
            return LOST_ANSWER
        return None


def new_fault_counts() -> Counter[str]:
    """Counts of injected faults by kind, every kind present."""
    return Counter(dict.fromkeys(FAULT_KINDS, 0))
