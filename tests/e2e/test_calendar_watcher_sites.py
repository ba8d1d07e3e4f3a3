"""The calendar watcher with a real worker and beat: 200 installed sites, each polled by its own task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from processor.devtools.fake_wix import FakeWix
from processor.meetings.connection_changes import CONNECTION_EVENT_TYPE
from processor.store import sites
from processor.store.models import Event
from tests.fixtures.servers import wait_until
from tests.support.calendar_poison import poison

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SITES = 200


def test_two_hundred_sites_are_all_polled_though_one_fails_in_a_way_nobody_foresaw(
    make_pipeline: Any, fake_wix: FakeWix
) -> None:
    seeded = fake_wix.seed_sites(SITES)
    poisoned = seeded[3]  # early in install order: the old single task stopped there
    poison(fake_wix, poisoned)
    pipeline = make_pipeline(
        WIX_APP_ID=fake_wix.app_id,
        WIX_APP_SECRET=fake_wix.app_secret,
        WIX_API_BASE_URL=fake_wix.url,
        CALENDAR_POLL_SECONDS="10",
    )
    for number, site in enumerate(seeded):
        sites.upsert_site(pipeline.sessions, site.instance_id, now=T0 + timedelta(seconds=number))

    pipeline.start_worker(beat=True)

    def all_polled() -> dict[str, Any] | None:
        rows = {row.instance_id: row for row in sites.list_sites(pipeline.sessions, pipeline.settings)}
        unpolled = [s for s in seeded if rows[s.instance_id].last_polled_at is None]
        return rows if not unpolled else None

    rows = wait_until(all_polled, timeout=240, interval=0.5, message="some sites were never polled")
    with pipeline.sessions() as session:
        first_sightings = session.execute(
            select(func.count()).select_from(Event).where(Event.event_type == CONNECTION_EVENT_TYPE)
        ).scalar_one()

    assert rows[poisoned.instance_id].last_poll_error == "DataError"
    assert [s for s in seeded if s is not poisoned and rows[s.instance_id].last_poll_error] == []
    assert first_sightings == SITES - 1
