"""The calendar watcher against the fake Wix, without a worker: which sites, schedules and changes, races."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from processor.config import load_settings
from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_calendars import APPLE_PROVIDER_ID
from processor.devtools.fake_wix_scale import SeededSite
from processor.meetings import connection_changes
from processor.queue import make_celery
from processor.store import event_queries, sites
from processor.store.db import Sessions, utcnow
from tests.fixtures.servers import wait_until
from tests.support.calendar_poison import poison
from workers.calendar_watcher import WATCH_CALENDAR_SITE_TASK, fan_out_site_polls, watch_calendars
from workers.wiring import Deps

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def deps(tmp_path: Path, fake_wix: FakeWix, sessions: Sessions) -> Deps:
    """Deps on a fresh store (SQLite and PostgreSQL), API-key mode aimed at the fake."""
    settings = load_settings(
        {
            "WIX_API_KEY": fake_wix.api_key,
            "WIX_SITE_ID": fake_wix.site_id,
            "WIX_API_BASE_URL": fake_wix.url,
            "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        },
        need_public_key=False,
    )
    return Deps(settings=settings, sessions=sessions, clock=lambda: T0)


def _statuses(deps: Deps) -> list[tuple[str | None, str | None]]:
    with deps.sessions() as session:
        rows, _ = event_queries.page(
            session, event_queries.EventFilter(event_type=connection_changes.CONNECTION_EVENT_TYPE)
        )
        return [(r.entity_id, r.payload["data"]["connection"]["status"]) for r in reversed(rows)]


def test_polls_the_api_key_site_once_with_its_hosts_schedules(deps: Deps, fake_wix: FakeWix) -> None:
    host = fake_wix.add_staff_member()
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    connection = fake_wix.add_connection(schedule_id)
    sites.upsert_site(deps.sessions, "another-instance-of-the-same-site", now=T0)

    new_ids = watch_calendars(deps, make_celery(deps.settings))

    assert len(new_ids) == 1
    (listing,) = fake_wix.requests_to(r"/external-calendars/connections$", "GET")
    assert listing.query == {"scheduleIds": [schedule_id], "partialFailure": ["true"]}
    assert _statuses(deps) == [(connection["id"], "SYNCED")]


def test_failed_providers_and_removed_sites_are_left_alone(deps: Deps, fake_wix: FakeWix) -> None:
    host = fake_wix.add_staff_member()
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    google = fake_wix.add_connection(schedule_id)
    apple = fake_wix.add_connection(schedule_id, provider_id=APPLE_PROVIDER_ID)
    celery = make_celery(deps.settings)
    watch_calendars(deps, celery)

    fake_wix.fail_provider(APPLE_PROVIDER_ID)
    fake_wix.set_connection_status(apple["id"], "ERROR", "TOKEN_REVOKED")
    for _ in range(3):
        watch_calendars(deps, celery)
    sites.mark_site_removed(deps.sessions, fake_wix.site_id, now=T0)
    fake_wix.set_connection_status(google["id"], "ERROR")
    after_removal = watch_calendars(deps, celery)

    assert sorted(_statuses(deps)) == sorted([(google["id"], "SYNCED"), (apple["id"], "SYNCED")])
    assert after_removal == []


def _app_mode_deps(fake_wix: FakeWix, sessions: Sessions, tmp_path: Path, **env: str) -> Deps:
    """Deps in app (OAuth per instance) mode on the fake: every installed site is polled by its own tokens."""
    settings = load_settings(
        {
            "WIX_APP_ID": fake_wix.app_id,
            "WIX_APP_SECRET": fake_wix.app_secret,
            "WIX_API_BASE_URL": fake_wix.url,
            "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
            **env,
        },
        need_public_key=False,
    )
    return Deps(settings=settings, sessions=sessions, clock=utcnow)


def _install(sessions: Sessions, seeded: list[SeededSite]) -> None:
    for number, site in enumerate(seeded):
        sites.upsert_site(sessions, site.instance_id, now=T0 + timedelta(seconds=number))


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_two_watchers_seeing_a_new_connection_at_once_record_it_once(sessions: Sessions) -> None:
    connection = {"id": "conn-new", "status": "SYNCED", "scheduleId": "schedule-1", "providerId": "google"}
    found: list[list[int]] = []
    errors: list[BaseException] = []

    def watcher(number: int) -> None:
        try:
            seen_at = T0 + timedelta(seconds=number)
            found.append(
                connection_changes.record_connection_changes(sessions, "site-1", [connection], now=seen_at)
            )
        except BaseException as exc:
            errors.append(exc)

    watchers = [threading.Thread(target=watcher, args=(n,)) for n in range(2)]
    with sessions() as obstacle:  # holds both inside their transactions, past the first sighting
        obstacle.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
        for thread in watchers:
            thread.start()
        wait_until(lambda: _backends_waiting_on_locks(sessions) >= 2, timeout=20)
        obstacle.rollback()
    for thread in watchers:
        thread.join(timeout=20)

    assert errors == []
    assert sorted(len(ids) for ids in found) == [0, 1]
    assert _statuses_of(sessions) == [("conn-new", "SYNCED")]


def _backends_waiting_on_locks(sessions: Sessions) -> int:
    with sessions() as session:  # a fresh transaction each time: pg_stat_activity is a snapshot
        return int(
            session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def _statuses_of(sessions: Sessions) -> list[tuple[str | None, str | None]]:
    with sessions() as session:
        rows, _ = event_queries.page(
            session, event_queries.EventFilter(event_type=connection_changes.CONNECTION_EVENT_TYPE)
        )
        return [(r.entity_id, r.payload["data"]["connection"]["status"]) for r in reversed(rows)]


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_site_failing_with_an_error_that_is_not_wixs_does_not_stop_the_others(
    fake_wix: FakeWix, sessions: Sessions, tmp_path: Path
) -> None:
    deps = _app_mode_deps(fake_wix, sessions, tmp_path)
    seeded = fake_wix.seed_sites(5)
    _install(sessions, seeded)
    poison(fake_wix, seeded[1])

    new_ids = watch_calendars(deps, make_celery(deps.settings))

    assert len(new_ids) == 4
    polled = {row.instance_id: row for row in sites.list_sites(sessions, deps.settings)}
    assert all(polled[s.instance_id].last_polled_at is not None for s in seeded if s is not seeded[1])
    assert polled[seeded[1].instance_id].last_poll_error == "DataError"


def test_the_beat_round_sends_one_poll_per_site_however_many(
    fake_wix: FakeWix, sessions: Sessions, tmp_path: Path, redis_url_factory
) -> None:
    deps = _app_mode_deps(fake_wix, sessions, tmp_path, CALENDAR_POLL_SECONDS="60")
    seeded = fake_wix.seed_sites(200, connection=False)
    _install(sessions, seeded)
    sites.mark_site_removed(sessions, seeded[7].instance_id, now=T0)
    broker_url = redis_url_factory()
    broker = redis.Redis.from_url(broker_url)
    celery = make_celery(replace(deps.settings, celery_broker_url=broker_url))

    sent = fan_out_site_polls(deps, celery)

    messages = [json.loads(raw) for raw in broker.lrange("wix-meetings", 0, -1)]
    assert sent == len(messages) == 199
    assert {m["headers"]["task"] for m in messages} == {WATCH_CALENDAR_SITE_TASK}
    polled = [json.loads(base64.b64decode(m["body"]))[0][0] for m in messages]
    assert sorted(polled) == sorted(s.instance_id for s in seeded if s is not seeded[7])
    assert all(m["headers"]["expires"] for m in messages)
    assert fake_wix.all_requests == []  # the round itself calls no Wix API: the site tasks do
