"""Courier: a worker process's own delivery threads, so an attempt's thread does not wait on SMTP.

An attempt records its emails and alerts in the outbox, writes the event's outcome, and hands the
recorded ids here (`workers/delivery.py`, `deliver_recorded`); its Celery thread is free for the
next event at once. At 300 sites a refund flow's three emails had held its thread a third of its
time (~0.5 s of ~1.6 s under 32 threads, 1.1 s of 2.4 s under 64; bench/README.md, "Wix calls
without httpx, .ics written directly, delivery off the attempt's thread"), and each thread's
delivery needed an SMTP connection of its own; a few courier threads keep a few connections busy.

Nothing is lost with the process: a handed id is a `pending` row in the store until it is sent, and
the sweep publishes pending rows that are due (`delivery.requeue_due`); a sweep's run and the
courier never send one row twice, because each claims it first. When the courier is stopping or its
queue is full, `hand` says no and the attempt's thread delivers as before.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence

import structlog

log = structlog.get_logger(__name__)

COURIER_THREADS = 4
QUEUE_CAPACITY = 5000  # notification ids waiting; beyond it the attempt's own thread delivers
BATCH = 25  # ids one delivery run takes at once (one SMTP session)
STOP_SECONDS = 10.0  # how long a stopping worker lets the courier empty its queue

_STOP = -1  # no notification id is negative


class Courier:
    """Delivers handed notification ids on `threads` threads of its own, started on first use."""

    def __init__(
        self,
        deliver: Callable[[list[int]], object],
        *,
        threads: int = COURIER_THREADS,
        capacity: int = QUEUE_CAPACITY,
    ) -> None:
        self._deliver = deliver
        self._size = threads
        self._queue: queue.Queue[int] = queue.Queue(capacity)
        self._threads: list[threading.Thread] = []
        self._accepting = True
        self._lock = threading.Lock()

    def hand(self, notification_ids: Sequence[int]) -> bool:
        """Queue the ids for delivery; False, with none queued, when stopping or full."""
        ids = list(notification_ids)
        with self._lock:  # every put happens under it, so the room counted here stays
            if not self._accepting or self._queue.maxsize - self._queue.qsize() < len(ids):
                return False
            if not self._threads:
                self._start()
            for notification_id in ids:
                self._queue.put_nowait(notification_id)
        return True

    def stop(self, timeout: float = STOP_SECONDS) -> int:
        """Take nothing more, let the threads empty the queue for at most `timeout` seconds, and
        return how many ids were still waiting (pending in the store: the sweep sends them)."""
        with self._lock:
            if not self._accepting:
                return 0
            self._accepting = False
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for _ in threads:  # after every id handed before: the threads deliver those first
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=max(0.01, deadline - time.monotonic()))
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = sum(1 for n in _drain(self._queue) if n != _STOP)
        for thread in threads:  # one still sending gets its stop again (the drain took it)
            if thread.is_alive():
                with contextlib.suppress(queue.Full):
                    self._queue.put_nowait(_STOP)
        log.info("courier.stopped", left_for_the_sweep=left)
        return left

    def _start(self) -> None:
        for n in range(self._size):
            thread = threading.Thread(target=self._run, name=f"courier-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first == _STOP:
                return
            ids, stop = [first], False
            while len(ids) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more == _STOP:
                    stop = True
                    break
                ids.append(more)
            try:
                self._deliver(ids)
            except Exception as exc:  # the store failed: the rows stay pending for the sweep
                log.warning("courier.delivery_failed", count=len(ids), error=type(exc).__name__)
            if stop:
                return


def _drain(waiting: queue.Queue[int]) -> list[int]:
    found = []
    while True:
        try:
            found.append(waiting.get_nowait())
        except queue.Empty:
            return found
