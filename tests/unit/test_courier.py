"""The courier: a worker's own delivery threads, handed notification ids by the attempts."""

from __future__ import annotations

import threading

from workers.courier import Courier


class Deliveries:
    """A deliver function that records each run's ids and thread, and can be held back."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, list[int]]] = []
        self.released = threading.Event()
        self.released.set()
        self.started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, ids: list[int]) -> None:
        self.started.set()
        self.released.wait(10)
        with self._lock:
            self.runs.append((threading.current_thread().name, ids))

    @property
    def ids(self) -> list[int]:
        return sorted(n for _, ids in self.runs for n in ids)


def test_handed_ids_are_each_delivered_once_on_the_couriers_threads() -> None:
    deliveries = Deliveries()
    courier = Courier(deliveries, threads=3)

    handed = [courier.hand([3 * n + 1, 3 * n + 2, 3 * n + 3]) for n in range(100)]
    left = courier.stop()

    assert handed == [True] * 100
    assert left == 0
    assert deliveries.ids == list(range(1, 301))
    assert {name for name, _ in deliveries.runs} <= {"courier-0", "courier-1", "courier-2"}


def test_a_stopped_courier_takes_nothing_more_so_the_attempt_delivers_itself() -> None:
    deliveries = Deliveries()
    courier = Courier(deliveries, threads=1)
    courier.hand([1])

    courier.stop()

    assert courier.hand([2]) is False
    assert deliveries.ids == [1]


def test_a_full_courier_says_no_and_queues_none_of_what_it_was_handed() -> None:
    deliveries = Deliveries()
    deliveries.released.clear()
    courier = Courier(deliveries, threads=1, capacity=3)
    courier.hand([1])
    assert deliveries.started.wait(10)  # its one thread holds [1]: the queue is empty again

    room = courier.hand([2, 3, 4])
    full = courier.hand([5])
    deliveries.released.set()
    courier.stop()

    assert (room, full) == (True, False)
    assert deliveries.ids == [1, 2, 3, 4]


def test_what_a_stopping_courier_cannot_send_in_time_is_left_and_counted() -> None:
    deliveries = Deliveries()
    deliveries.released.clear()
    courier = Courier(deliveries, threads=1)
    courier.hand([1])
    assert deliveries.started.wait(10)
    courier.hand([2, 3])

    left = courier.stop(timeout=0.2)  # its thread still holds [1]
    deliveries.released.set()

    assert left == 2  # pending in the store: the sweep sends them


def test_a_failing_delivery_run_does_not_stop_the_courier() -> None:
    runs: list[list[int]] = []

    def deliver(ids: list[int]) -> None:
        runs.append(ids)
        if ids == [1]:
            raise RuntimeError("the store is gone")

    courier = Courier(deliver, threads=1)
    courier.hand([1])
    while not runs:
        threading.Event().wait(0.01)
    courier.hand([2])
    courier.stop()

    assert runs == [[1], [2]]
