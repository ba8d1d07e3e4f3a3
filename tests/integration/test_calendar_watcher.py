"""The calendar watcher against the fake Wix, without a worker: which sites, schedules and changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from processor.config import load_settings
from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_calendars import APPLE_PROVIDER_ID
from processor.meetings import connection_changes
from processor.queue import make_celery
from processor.store import event_queries, sites
from processor.store.db import Sessions
from workers.calendar_watcher import watch_calendars
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
