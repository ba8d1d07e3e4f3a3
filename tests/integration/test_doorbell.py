"""The receiver's doorbell: every rung id reaches the broker, in few messages, from any thread."""

from __future__ import annotations

import base64
import json
import threading
import time

import redis

from processor.config import load_settings
from processor.queue import (
    DOORBELL_FIRST_WINDOW_SECONDS,
    DOORBELL_WINDOW_SECONDS,
    PROCESS_EVENT_TASK,
    PROCESS_EVENTS_TASK,
    Doorbell,
    doorbell_idle_window,
    make_celery,
)
from tests.fixtures.servers import wait_until


def _doorbell(broker_url: str) -> tuple[Doorbell, list[list[int]]]:
    celery = make_celery(load_settings({"CELERY_BROKER_URL": broker_url}, need_public_key=False))
    reported: list[list[int]] = []
    return Doorbell(celery, reported.append), reported


def _messages(broker_url: str) -> list[tuple[str, list]]:
    """(task name, args) of each message waiting in the queue, oldest first."""
    found = []
    for raw in reversed(redis.Redis.from_url(broker_url).lrange("wix-meetings", 0, -1)):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found


def test_ids_rung_from_many_threads_are_all_published_in_a_few_batches(redis_url_factory):
    broker_url = redis_url_factory()
    doorbell, reported = _doorbell(broker_url)
    ringers = [
        threading.Thread(target=lambda start=start: [doorbell.ring(n) for n in range(start, start + 250)])
        for start in range(0, 1000, 250)
    ]
    for ringer in ringers:
        ringer.start()
    for ringer in ringers:
        ringer.join()

    wait_until(lambda: sum(map(len, reported)) == 1000, timeout=5)

    published = [
        n for name, args in _messages(broker_url) for n in (args[0] if name == PROCESS_EVENTS_TASK else args)
    ]
    assert sorted(published) == list(range(1000))
    assert sorted(n for batch in reported for n in batch) == list(range(1000))
    assert len(reported) <= 6  # one message per window of at most 500 ids, not one per ring


def test_a_ring_after_an_idle_spell_is_published_on_its_own(redis_url_factory):
    broker_url = redis_url_factory()
    doorbell, reported = _doorbell(broker_url)
    doorbell.ring(1)
    wait_until(lambda: reported == [[1]], timeout=5)
    time.sleep(0.3)

    doorbell.ring(2)

    wait_until(lambda: reported == [[1], [2]], timeout=5)
    assert _messages(broker_url) == [(PROCESS_EVENT_TASK, [1]), (PROCESS_EVENT_TASK, [2])]


def test_a_broker_that_is_down_delays_nothing_and_the_doorbell_publishes_once_it_is_back(private_redis):
    doorbell, reported = _doorbell(private_redis.url)
    private_redis.stop()
    started = time.monotonic()
    doorbell.ring(1)  # returns at once; the thread retries the connection (or gives the id to the sweep)
    assert time.monotonic() - started < 0.05
    time.sleep(1.5)
    assert reported == []
    private_redis.start()

    doorbell.ring(2)

    wait_until(lambda: 2 in (n for batch in reported for n in batch), timeout=10)


class RecordedSleeps:
    """The doorbell's waits, written down (and really slept, so nothing else changes)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def test_an_idle_doorbell_publishes_a_ring_at_once_without_waiting_for_a_window(redis_url_factory):
    broker_url = redis_url_factory()
    celery = make_celery(load_settings({"CELERY_BROKER_URL": broker_url}, need_public_key=False))
    reported: list[list[int]] = []
    sleeps = RecordedSleeps()
    doorbell = Doorbell(celery, reported.append, sleep=sleeps)

    for event_id in (1, 2, 3):
        doorbell.ring(event_id)
        wait_until(lambda event_id=event_id: [event_id] in reported, timeout=5)

    assert reported == [[1], [2], [3]]
    assert sleeps.waits == []  # each ring found the doorbell idle: no batching window at all


def test_a_doorbell_batches_what_arrives_while_it_is_still_publishing(redis_url_factory):
    broker_url = redis_url_factory()
    celery = make_celery(load_settings({"CELERY_BROKER_URL": broker_url}, need_public_key=False))
    reported: list[list[int]] = []
    first_send_done = threading.Event()
    release = threading.Event()

    def on_queued(ids: list[int]) -> None:  # the receiver's callback; the first one is slow
        reported.append(ids)
        if ids == [1]:
            first_send_done.set()
            release.wait(5)

    sleeps = RecordedSleeps()
    doorbell = Doorbell(celery, on_queued, sleep=sleeps)
    doorbell.ring(1)
    assert first_send_done.wait(5)
    for event_id in range(2, 102):  # arrive faster than the doorbell publishes
        doorbell.ring(event_id)
    release.set()

    wait_until(lambda: sum(map(len, reported)) == 101, timeout=5)
    assert reported == [[1], list(range(2, 102))]  # one batch, not one message per ring
    assert sleeps.waits[:1] == [DOORBELL_FIRST_WINDOW_SECONDS]  # it waited to gather them
    time.sleep(0.2)
    doorbell.ring(500)  # once it is idle again, a ring goes out on its own at once
    wait_until(lambda: [500] in reported, timeout=5)
    assert len(sleeps.waits) == 1


def test_on_the_embedded_broker_an_idle_doorbell_gathers_a_window_of_rings_into_one_message(tmp_path):
    # Each message costs the SQLite broker's consumer a transaction of its own: one per ring drained
    # 263 events/s where the window's batches drain 338/s (bench/README.md, drain-sqlite).
    settings = load_settings(
        {"CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"}, need_public_key=False
    )
    reported: list[list[int]] = []
    sleeps = RecordedSleeps()
    doorbell = Doorbell(
        make_celery(settings), reported.append, idle_window=doorbell_idle_window(settings), sleep=sleeps
    )

    for event_id in (1, 2, 3):
        doorbell.ring(event_id)
    wait_until(lambda: sum(map(len, reported)) == 3, timeout=10)

    assert reported == [[1, 2, 3]]
    assert sleeps.waits[0] == DOORBELL_WINDOW_SECONDS


def test_on_redis_the_doorbell_never_waits_when_idle():
    settings = load_settings({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}, need_public_key=False)

    assert doorbell_idle_window(settings) == 0.0
