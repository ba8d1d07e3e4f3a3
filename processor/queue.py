"""The broker side of the receiver: a Celery app without tasks, and a doorbell that publishes by name.

The store is the source of truth; the broker is only a doorbell. The receiver commits the event,
rings the doorbell and answers: publishing happens on a background thread, so a slow or dead broker
never delays a webhook answer. What the doorbell could not publish stays `received`, and the sweep
queues it.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Sequence

import structlog
from celery import Celery

from processor.config import Settings

log = structlog.get_logger(__name__)

PROCESS_EVENT_TASK = "process_event"
PROCESS_EVENTS_TASK = "process_events"  # a batch of ids, fanned out by the worker
SWEEP_TASK = "sweep"
PURGE_TASK = "purge"  # retention: old events deleted, old payloads redacted (workers/housekeeping.py)
WATCH_CALENDARS_TASK = "watch_calendars"
DELIVER_NOTIFICATIONS_TASK = "deliver_notifications"  # ids of stored notifications, sent in one run

# A task's hard time limit is TASK_TIME_LIMIT_SECONDS (a setting); the soft limit, which raises in
# the task so it can record a failed attempt, comes this fraction of it earlier. STUCK_AFTER_SECONDS
# must exceed the hard limit (load_settings refuses it otherwise), and so must the Redis visibility
# timeout, or a live task's message is redelivered while it still runs.
SOFT_TIME_LIMIT_FRACTION = 0.9
VISIBILITY_TIMEOUT_SECONDS = 3600
PUBLISH_TIMEOUT_SECONDS = 0.5
# The doorbell publishes a ring at once when it is idle. Only while ids arrive faster than it
# publishes (some came in while it was sending) does it wait to gather a batch: first
# DOORBELL_FIRST_WINDOW_SECONDS, doubled each busy round up to DOORBELL_WINDOW_SECONDS, back to
# none as soon as a send finds nothing new. The 100 ms ceiling is what took PostgreSQL ingest from
# 1348 to 1632 req/s on 2 cores (one message and one `queued` update per batch, bench/README.md).
DOORBELL_WINDOW_SECONDS = 0.1
DOORBELL_FIRST_WINDOW_SECONDS = 0.005
MESSAGE_BATCH = 500
# A worker runs at most this many ids of a `process_events` message itself (one claim statement) and
# passes the rest on as a new message first, so an idle worker takes them while it runs its part.
# A worker runs the events no flow handles of a whole message itself, in one claim statement (on the
# embedded broker, which kombu polls once a second when it finds nothing, passing a part of a message
# on to the next worker cost that second per hand-off).
CLAIM_BATCH = MESSAGE_BATCH


def make_celery(settings: Settings, name: str = "wix-meetings") -> Celery:
    """A Celery app configured for at-least-once delivery; tasks are registered by `workers`."""
    app = Celery(name, broker=settings.celery_broker_url, set_as_current=False)
    transport_options: dict[str, object] = {}
    hard_limit = settings.task_time_limit_seconds
    if settings.celery_broker_url.startswith(("redis://", "rediss://")):
        transport_options.update(
            visibility_timeout=visibility_timeout_seconds(settings),
            socket_timeout=PUBLISH_TIMEOUT_SECONDS * 4,
            socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            max_connections=20,
        )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        result_backend=None,
        task_time_limit=hard_limit,
        task_soft_time_limit=soft_time_limit_seconds(settings),
        task_default_queue="wix-meetings",
        task_publish_retry=False,
        broker_transport_options=transport_options,
        broker_connection_timeout=PUBLISH_TIMEOUT_SECONDS,
        broker_connection_retry_on_startup=True,
        broker_pool_limit=10,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        timezone="UTC",
        enable_utc=True,
    )
    return app


def soft_time_limit_seconds(settings: Settings) -> float:
    """When the running task is told to stop (SoftTimeLimitExceeded): 90 % of the hard limit, so a
    limit of a few seconds (tests, fault drills) still leaves a gap between the two."""
    return round(settings.task_time_limit_seconds * SOFT_TIME_LIMIT_FRACTION, 3)


def visibility_timeout_seconds(settings: Settings) -> int:
    """How long Redis keeps an unacknowledged message from other workers: an hour, or twice the
    task's hard limit when that is longer, so it always exceeds the limit."""
    return max(VISIBILITY_TIMEOUT_SECONDS, 2 * settings.task_time_limit_seconds)


def publish(celery: Celery, event_ids: Sequence[int]) -> list[int]:
    """Send the ids to the workers, one message per batch; return those the broker accepted."""
    published: list[int] = []
    ids = list(event_ids)
    for start in range(0, len(ids), MESSAGE_BATCH):
        part = ids[start : start + MESSAGE_BATCH]
        try:
            if len(part) == 1:
                celery.send_task(PROCESS_EVENT_TASK, args=[part[0]], retry=False)
            else:
                celery.send_task(PROCESS_EVENTS_TASK, args=[part], retry=False)
        except Exception as exc:  # any broker trouble: the sweep re-sends what stays unqueued
            log.warning("broker.publish_failed", count=len(part), error=type(exc).__name__)
            break
        published.extend(part)
    return published


def publish_later(celery: Celery, event_id: int, delay_seconds: float) -> bool:
    """Send one event id to be run no sooner than `delay_seconds` from now (a deferral); False when
    the broker refused it (the sweep re-sends the event later)."""
    try:
        celery.send_task(PROCESS_EVENT_TASK, args=[event_id], countdown=delay_seconds, retry=False)
    except Exception as exc:
        log.warning("broker.publish_failed", count=1, error=type(exc).__name__)
        return False
    return True


def publish_notifications(celery: Celery, notification_ids: Sequence[int]) -> list[int]:
    """Ask a worker to deliver stored notifications (one message per batch, so one SMTP connection
    serves a batch); return the ids the broker accepted. What it misses, the sweep sends later."""
    published: list[int] = []
    ids = list(notification_ids)
    for start in range(0, len(ids), MESSAGE_BATCH):
        part = ids[start : start + MESSAGE_BATCH]
        try:
            celery.send_task(DELIVER_NOTIFICATIONS_TASK, args=[part], retry=False)
        except Exception as exc:  # any broker trouble: the notifications stay pending for the sweep
            log.warning("broker.publish_failed", count=len(part), error=type(exc).__name__)
            break
        published.extend(part)
    return published


def next_window(window: float, *, busy: bool) -> float:
    """The doorbell's next wait: none when no id arrived during the last send, else a longer one."""
    if not busy:
        return 0.0
    return min(DOORBELL_WINDOW_SECONDS, max(DOORBELL_FIRST_WINDOW_SECONDS, window * 2))


def doorbell_idle_window(settings: Settings) -> float:
    """How long an idle doorbell gathers rings before it sends: nothing on Redis (a message costs the
    worker ~0.1 ms, and the first webhook after a quiet spell is processed at once), the whole window
    on the embedded SQLite broker, where the worker fetches each message in a transaction of its own:
    publishing at once there made one message of ~7 ids per ring and drained 263 events/s instead
    of the window's batches (bench/README.md, drain-sqlite)."""
    if settings.celery_broker_url.startswith(("redis://", "rediss://")):
        return 0.0
    return DOORBELL_WINDOW_SECONDS


class Doorbell:
    """Publishes event ids from a background thread, then reports which were queued.

    A ring only appends to a deque; the thread is woken by the first ring after it went idle, so a
    busy receiver pays no thread switch per webhook (a wake-up per ring cost ~110 µs of CPU per
    webhook, bench/README.md). Idle, it sends a ring at once; busy (ids arrived while it sent), it
    waits a window that doubles each busy round up to DOORBELL_WINDOW_SECONDS and sends everything
    that arrived meanwhile; a send that finds nothing new behind it makes it idle again.
    """

    def __init__(
        self,
        celery: Celery,
        on_queued: Callable[[list[int]], None],
        *,
        batch: int = 500,
        idle_window: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._celery = celery
        self._sleep = sleep
        self._idle_window = idle_window
        self._on_queued = on_queued
        self._batch = batch
        self._pending: collections.deque[int] = collections.deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ring(self, event_id: int) -> None:
        """Ask for `event_id` to be published soon; never blocks, never raises."""
        if self._pid != os.getpid():
            self._start_thread()
        self._pending.append(event_id)
        if not self._wake.is_set():  # the thread clears it before it drains: no ring is missed
            self._wake.set()

    def _start_thread(self) -> None:
        with self._lock:  # started lazily, so each forked web worker gets its own thread
            if self._pid != os.getpid():
                self._pending = collections.deque()
                self._wake = threading.Event()
                thread = threading.Thread(target=self._run, name="doorbell", daemon=True)
                thread.start()
                self._pid = os.getpid()

    def _run(self) -> None:
        window = 0.0  # 0: idle, the next ring is sent at once
        while True:
            if window == 0.0:
                self._wake.wait()
                if self._idle_window:  # a broker whose every message is costly: gather first
                    self._sleep(self._idle_window)
            else:
                self._sleep(window)
            self._wake.clear()  # before draining: a ring after this sets it again, none is missed
            waiting = len(self._pending)
            while waiting > 0:
                ids = [self._pending.popleft() for _ in range(min(waiting, self._batch))]
                waiting -= len(ids)
                self._send(ids)
            window = next_window(window, busy=bool(self._pending))

    def _send(self, ids: list[int]) -> None:
        try:
            published = publish(self._celery, ids)
            if published:
                self._on_queued(published)
        except Exception as exc:
            log.warning("doorbell.failed", error=type(exc).__name__, count=len(ids))
