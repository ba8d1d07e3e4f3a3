"""One site's Wix budget holds for every taker at once: threads, processes, on Redis and the store.

GCRA promises at most `burst + rate * d` granted takes in any span of `d` seconds, whoever takes;
a budget per process would grant that once per process. Budget here: 10/s, burst 5.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.support.budget_takers import BUDGET, budgets, take_until

PROCESSES = 3
THREADS = 4


def _most_in_any_window(times: list[float], span: float) -> int:
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > span:
            start += 1
        most = max(most, end - start + 1)
    return most


def _allowed(span: float) -> int:
    return BUDGET.burst + int(span / BUDGET.interval) + 1


def _take_from_processes(kind: str, url: str, seconds: float) -> list[float]:
    deadline = time.time() + seconds
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
        futures = [pool.submit(take_until, kind, url, deadline, THREADS) for _ in range(PROCESSES)]
        return [t for future in futures for t in future.result(timeout=120)]


@pytest.fixture
def redis_budget_url(redis_url_factory) -> str:
    return redis_url_factory()


def test_threads_of_one_process_share_the_redis_budget(redis_budget_url):
    granted = take_until("redis", redis_budget_url, time.time() + 1.5, threads=8)

    assert len(granted) > 0
    assert _most_in_any_window(granted, 1.0) <= _allowed(1.0)


def test_processes_share_the_redis_budget(redis_budget_url):
    granted = _take_from_processes("redis", redis_budget_url, seconds=8.0)  # spawning takes seconds

    assert len(granted) > 0
    assert _most_in_any_window(granted, 1.0) <= _allowed(1.0)
    assert _most_in_any_window(granted, 3.0) <= _allowed(3.0)


def test_threads_of_one_process_share_the_store_budget(store_url):
    granted = take_until("store", store_url, time.time() + 1.5, threads=6)

    assert len(granted) > 0
    assert _most_in_any_window(granted, 1.0) <= _allowed(1.0)


def test_processes_share_the_store_budget(store_url):
    granted = _take_from_processes("store", store_url, seconds=8.0)

    assert len(granted) > 0
    assert _most_in_any_window(granted, 1.0) <= _allowed(1.0)
    assert _most_in_any_window(granted, 3.0) <= _allowed(3.0)


def test_a_refused_take_leaves_the_budget_as_it_was(redis_budget_url):
    take = budgets("redis", redis_budget_url)
    granted = [take("wix-site:other", BUDGET)[0] for _ in range(BUDGET.burst + 3)]
    assert granted == [True] * BUDGET.burst + [False] * 3  # no sleeping at max_wait 0: refused instead

    time.sleep(BUDGET.interval * 1.5)

    assert take("wix-site:other", BUDGET)[0] is True  # refusals reserved nothing: one interval frees one
