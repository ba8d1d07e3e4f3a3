"""Self-tests of the server fixtures in tests/fixtures/servers.py."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import psycopg
import pytest
import redis

from tests.fixtures.servers import (
    DEFAULT_REDIS_URL,
    PgDatabaseFactory,
    PrivateRedis,
    ProcessGroup,
    ThrowawayPostgres,
    free_port,
    postgres_answers,
    redis_answers,
    sqlalchemy_to_libpq,
    wait_until,
)

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """Open an autocommit psycopg connection to a SQLAlchemy URL."""
    return psycopg.connect(sqlalchemy_to_libpq(url), autocommit=True, connect_timeout=3)


def test_fresh_databases_are_distinct_and_writable(
    fresh_postgres_database: PgDatabaseFactory,
) -> None:
    first, second = fresh_postgres_database(), fresh_postgres_database()

    with connect(first) as conn:
        conn.execute("CREATE TABLE marks (v int)")
        conn.execute("INSERT INTO marks VALUES (1)")
    with connect(second) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'marks'").fetchone()

    assert first != second
    assert tables == (0,)


def test_template_database_is_copied(fresh_postgres_database: PgDatabaseFactory) -> None:
    template = fresh_postgres_database()
    with connect(template) as conn:
        conn.execute("CREATE TABLE copied (v int)")
        conn.execute("INSERT INTO copied VALUES (42)")

    clone = fresh_postgres_database(template=template)

    with connect(clone) as conn:
        assert conn.execute("SELECT v FROM copied").fetchall() == [(42,)]


def test_redis_urls_are_distinct_and_empty(redis_url_factory: Callable[[], str]) -> None:
    first_url = redis_url_factory()
    redis.Redis.from_url(first_url).set("left-over", "1")

    second_url = redis_url_factory()

    assert first_url != second_url
    assert redis.Redis.from_url(second_url).dbsize() == 0


@pytest.mark.slow
def test_private_redis_stops_and_starts_on_the_same_port(private_redis: PrivateRedis) -> None:
    client = redis.Redis.from_url(private_redis.url, socket_connect_timeout=1)
    port = private_redis.port

    private_redis.stop()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert private_redis.pid is None
    assert redis_answers(SHARED_REDIS_URL)

    private_redis.start()
    assert private_redis.port == port
    assert client.ping()


@pytest.mark.slow
def test_throwaway_postgres_stops_and_starts(
    throwaway_postgres: ThrowawayPostgres, postgres_admin_url: str
) -> None:
    with connect(throwaway_postgres.url) as conn:
        conn.execute("CREATE TABLE kept (v int)")
        conn.execute("INSERT INTO kept VALUES (7)")

    throwaway_postgres.stop()
    with pytest.raises(psycopg.OperationalError):
        connect(throwaway_postgres.url)
    assert postgres_answers(postgres_admin_url)

    throwaway_postgres.start()
    with connect(throwaway_postgres.url) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [(7,)]


@pytest.mark.slow
def test_process_group_kill_hard_takes_the_children_too(process_group: ProcessGroup) -> None:
    parent = process_group.start(["sh", "-c", "sleep 300 & echo $!; wait"])
    child_pid = int(wait_until(lambda: parent.output().strip(), message="no child pid"))

    parent.kill_hard()

    assert parent.returncode == -signal.SIGKILL
    wait_until(lambda: not _exists(child_pid), message=f"child {child_pid} survived")


def test_wait_until_raises_with_the_message() -> None:
    with pytest.raises(AssertionError, match="never true"):
        wait_until(lambda: False, timeout=0.1, message="never true")


def test_free_port_is_bindable() -> None:
    port = free_port()

    assert 0 < port < 65536


def test_shared_servers_still_answer(postgres_admin_url: str) -> None:
    assert redis_answers(SHARED_REDIS_URL)
    assert postgres_answers(postgres_admin_url)


def _exists(pid: int) -> bool:
    """Tell whether `pid` is a live (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
