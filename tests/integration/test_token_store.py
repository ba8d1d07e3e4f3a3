"""The store's token cache: one row per instance, replaced in place, safe when processes race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from processor.store.tokens import StoreTokenCache

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cache(sessions):
    """The token cache on a fresh store: each test runs on SQLite and on PostgreSQL."""
    return StoreTokenCache(sessions)


def test_a_new_token_replaces_the_old_one(cache):
    cache.put("site-1", "first", T0)
    cache.put("site-1", "second", T0 + timedelta(hours=4))

    assert cache.get("site-1") == ("second", T0 + timedelta(hours=4))
    assert cache.get("site-2") is None


def test_processes_storing_a_first_token_at_once_all_succeed(cache):
    barrier, errors = threading.Barrier(6), []

    def store(n: int) -> None:
        barrier.wait()
        try:
            cache.put("site-1", f"token-{n}", T0 + timedelta(hours=n))
        except Exception as exc:  # the old insert-or-update raised an IntegrityError here
            errors.append(exc)

    threads = [threading.Thread(target=store, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    token, expires_at = cache.get("site-1")
    assert expires_at == T0 + timedelta(hours=int(token.rsplit("-", 1)[1]))
