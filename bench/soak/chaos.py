"""The faults, run from the main thread on the day's clock: worker kills, a receiver kill, Redis, PostgreSQL.

Each fault records a window (monotonic start and end) so the checks can tell an answer given during
an injected outage from one given outside it, and the ack times can be split by phase.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from bench.soak.config import SoakConfig
from bench.soak.stack import Receiver, Stack

# A receiver's pooled store connections die with the server; the first use after the restart
# reconnects. A 503 store_unavailable this soon after PostgreSQL is back still counts as the outage.
POSTGRES_GRACE_SECONDS = 10.0


@dataclass
class Window:
    kind: str  # receiver_down / redis_down / postgres_restart
    start: float
    end: float | None = None
    note: str = ""


@dataclass
class Timeline:
    """What was injected, when: windows and one-off events (worker kills), in monotonic seconds."""

    windows: list[Window] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    install_started: float = 0.0
    day_started: float = 0.0
    day_ended: float | None = None

    def phase(self, at: float) -> str:
        """The phase a moment belongs to: an outage window, else install / steady / settle."""
        for window in self.windows:
            end = window.end if window.end is not None else float("inf")
            if window.kind == "postgres_restart":
                end += POSTGRES_GRACE_SECONDS if window.end is not None else 0
            if window.start <= at <= end:
                return window.kind
        if not self.day_started or at < self.day_started:
            return "install"
        if self.day_ended is not None and at > self.day_ended:
            return "settle"
        return "steady"

    def store_outage(self, at: float) -> bool:
        """Whether a 503 store_unavailable at this moment is an injected outage's."""
        return self.phase(at) == "postgres_restart"


class Chaos:
    """Steps through the fault schedule; `tick()` does what is due and returns at once."""

    def __init__(self, stack: Stack, config: SoakConfig, rng: random.Random, timeline: Timeline) -> None:
        self.stack = stack
        self.config = config
        self.rng = rng
        self.timeline = timeline
        day = config.day_seconds
        self.next_worker_kill = config.worker_kill_every
        self.receiver_kill_at = day * config.receiver_kill_at
        self.redis_stop_at = day * config.redis_stop_at
        self.postgres_restart_at = day * config.postgres_restart_at
        self._receiver: Receiver | None = None
        self._receiver_window: Window | None = None
        self._redis_window: Window | None = None
        self._done: set[str] = set()

    def note(self, text: str) -> None:
        self.timeline.events.append((time.monotonic(), text))
        print(f"[soak {self.elapsed():6.1f}s] {text}", flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.timeline.day_started

    def tick(self, day_running: bool) -> None:
        """Do whatever fault is due now (the day's clock), and finish outages that are over."""
        t = self.elapsed()
        if day_running and t >= self.next_worker_kill:
            self.next_worker_kill += self.config.worker_kill_every
            self._kill_a_worker()
        if "receiver" not in self._done and t >= self.receiver_kill_at:
            self._done.add("receiver")
            self._receiver = self.rng.choice(self.stack.receivers)
            self._receiver_window = Window(  # opened before the kill: requests then in flight belong to it
                "receiver_down", time.monotonic(), note=f"receiver {self._receiver.index}"
            )
            self.timeline.windows.append(self._receiver_window)
            self.stack.kill_receiver(self._receiver)
            self.note(f"SIGKILL receiver {self._receiver.index} (port {self._receiver.port})")
        self._bring_receiver_back(t)
        if "redis" not in self._done and t >= self.redis_stop_at and self._over("receiver_down"):
            self._done.add("redis")
            self._redis_window = Window("redis_down", time.monotonic())
            self.timeline.windows.append(self._redis_window)
            self.stack.stop_redis()
            self.note(f"Redis stopped for {self.config.redis_down_seconds:g}s")
        window = self._redis_window
        if (
            window
            and window.end is None
            and time.monotonic() - window.start >= self.config.redis_down_seconds
        ):
            self.stack.start_redis()
            window.end = time.monotonic()
            self.note(f"Redis started again ({window.end - window.start:.1f}s down)")
        if "postgres" not in self._done and t >= self.postgres_restart_at and self._over("redis_down"):
            self._done.add("postgres")
            pg_window = Window("postgres_restart", time.monotonic())
            self.timeline.windows.append(pg_window)
            self.note("PostgreSQL: fast shutdown")
            down, starting = self.stack.restart_postgres()
            pg_window.end = time.monotonic()
            pg_window.note = f"stop {down:.1f}s, start {starting:.1f}s"
            self.note(f"PostgreSQL started again ({pg_window.note})")

    def _kill_a_worker(self) -> None:
        slot = self.rng.choice(self.stack.slots)
        pid = self.stack.kill_worker(slot)
        self.stack.start_worker(slot)
        pool = " ".join(slot.args) or "default pool"
        self.note(f"SIGKILL worker {slot.index} (pid {pid}, {pool}); a new one started")

    def _bring_receiver_back(self, t: float) -> None:
        receiver, window = self._receiver, self._receiver_window
        if receiver is None or window is None or window.end is not None:
            return
        process = receiver.process
        if process is not None and not process.alive():  # killed: start again after the pause
            if time.monotonic() - window.start >= self.config.receiver_down_seconds:
                self.stack.start_receiver(receiver)
                self.note(f"receiver {receiver.index} started again")
            return
        if self.stack.serving(receiver):
            window.end = time.monotonic()
            self.note(f"receiver {receiver.index} serving again ({window.end - window.start:.1f}s down)")

    def _over(self, kind: str) -> bool:
        """Whether the outage of this kind happened and ended (faults never overlap, so each
        answer belongs to one phase)."""
        return any(w.kind == kind and w.end is not None for w in self.timeline.windows)

    def finished(self) -> bool:
        """Every one-off fault done and every outage over."""
        return {"receiver", "redis", "postgres"} <= self._done and all(
            w.end is not None for w in self.timeline.windows
        )
