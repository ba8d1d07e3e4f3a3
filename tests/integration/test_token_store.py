"""The store's token cache: one row per instance, replaced in place, safe when processes race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from processor.store.models import WixToken
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


def test_a_token_this_process_has_seen_is_answered_without_the_store(cache, sessions):
    cache.put("site-1", "first", T0)
    with sessions.begin() as session:  # as if another process dropped it meanwhile
        session.execute(delete(WixToken))

    other_process = StoreTokenCache(sessions)

    assert cache.get("site-1") == ("first", T0)
    assert other_process.get("site-1") is None


def test_another_process_reads_a_stored_token_once_then_from_memory(cache, sessions):
    cache.put("site-1", "first", T0)
    other_process = StoreTokenCache(sessions)

    seen = other_process.get("site-1")
    with sessions.begin() as session:
        session.execute(delete(WixToken))

    assert seen == ("first", T0)
    assert other_process.get("site-1") == ("first", T0)


def test_a_dropped_token_is_gone_here_and_in_the_store(cache, sessions):
    cache.put("site-1", "first", T0)

    cache.drop("site-1")

    assert cache.get("site-1") is None
    assert StoreTokenCache(sessions).get("site-1") is None
