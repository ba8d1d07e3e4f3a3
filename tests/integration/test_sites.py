"""processor.store.sites: the site registry and the calendar watcher's memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processor.config import load_settings
from processor.meetings import connection_changes
from processor.store import connections, event_json, event_queries, sites
from processor.store.db import Sessions
from processor.store.tokens import StoreTokenCache
from tests.support.concurrency import at_once

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SITE = "site-1"


def _connection(status: str = "SYNCED", cid: str = "conn-1", provider: str = "google") -> dict:
    return {"id": cid, "providerId": provider, "scheduleId": "sched-1", "status": status}


def _events(sessions: Sessions) -> list[dict]:
    with sessions() as session:
        rows, _ = event_queries.page(session, event_queries.EventFilter(), limit=100)
        return [event_json.event_to_json(r) for r in reversed(rows)]


def test_a_repeated_install_changes_nothing(sessions: Sessions) -> None:
    first = sites.upsert_site(sessions, SITE, now=T0, meetings_service_id="svc", schedule_id="s")
    again = sites.upsert_site(sessions, SITE, now=T0 + timedelta(hours=1), meetings_service_id="svc")

    assert (first, again) == (True, False)
    site = sites.get_site(sessions, SITE)
    assert site is not None
    assert (site.status, site.installed_at, site.schedule_id) == ("installed", T0, "s")


def test_a_new_site_installed_by_several_events_at_once_is_one_row_and_none_fails(
    sessions: Sessions,
) -> None:
    # none raises (at_once raises what a thread raised)
    results = at_once(4, lambda: sites.upsert_site(sessions, SITE, now=T0, meetings_service_id="svc"))

    assert results.count(True) == 1
    site = sites.get_site(sessions, SITE)
    assert site is not None
    assert (site.status, site.meetings_service_id) == ("installed", "svc")


def test_a_site_never_seen_removed_by_several_events_at_once_is_one_row_and_none_fails(
    sessions: Sessions,
) -> None:
    results = at_once(4, lambda: sites.mark_site_removed(sessions, SITE, now=T0))  # none raises

    assert results.count(True) == 1
    site = sites.get_site(sessions, SITE)
    assert site is not None
    assert site.status == "removed"


def test_removal_stops_serving_the_site_and_drops_its_token(sessions: Sessions) -> None:
    sites.upsert_site(sessions, SITE, now=T0)
    StoreTokenCache(sessions).put(SITE, "token", T0 + timedelta(hours=4))
    settings = load_settings({}, need_public_key=False)

    sites.mark_site_removed(sessions, SITE, now=T0)

    assert sites.installed_instance_ids(sessions, settings) == []
    assert StoreTokenCache(sessions).get(SITE) is None


def test_api_key_site_counts_as_installed(sessions: Sessions) -> None:
    settings = load_settings({"WIX_API_KEY": "k", "WIX_SITE_ID": "api-site"}, need_public_key=False)
    sites.upsert_site(sessions, SITE, now=T0)

    assert sites.installed_instance_ids(sessions, settings) == [SITE, "api-site"]


def test_first_sighting_then_a_change_become_events(sessions: Sessions) -> None:
    connection_changes.record_connection_changes(sessions, SITE, [_connection("SYNCED")], now=T0)
    unchanged = connection_changes.record_connection_changes(sessions, SITE, [_connection("SYNCED")], now=T0)
    broken = {**_connection("ERROR"), "errorReason": "TOKEN_REVOKED"}
    connection_changes.record_connection_changes(sessions, SITE, [broken], now=T0 + timedelta(minutes=5))

    assert unchanged == []
    first, second = _events(sessions)
    assert first["source"] == "watcher"
    assert first["wix_event_id"] == "watcher:conn-1:SYNCED:2026-03-02T09:00:00Z"
    assert first["payload"]["data"]["previousStatus"] is None
    assert second["payload"]["data"] == {"connection": broken, "previousStatus": "SYNCED"}
    assert second["instance_id"] == SITE


def test_missing_twice_is_disconnected(sessions: Sessions) -> None:
    connection_changes.record_connection_changes(sessions, SITE, [_connection()], now=T0)

    once = connection_changes.record_connection_changes(sessions, SITE, [], now=T0 + timedelta(minutes=1))
    twice = connection_changes.record_connection_changes(sessions, SITE, [], now=T0 + timedelta(minutes=2))
    thrice = connection_changes.record_connection_changes(sessions, SITE, [], now=T0 + timedelta(minutes=3))

    assert (len(once), len(twice), len(thrice)) == (0, 1, 0)
    data = _events(sessions)[-1]["payload"]["data"]
    assert (data["connection"]["status"], data["previousStatus"]) == ("DISCONNECTED", "SYNCED")


def test_failed_providers_are_not_counted_missing(sessions: Sessions) -> None:
    connection_changes.record_connection_changes(sessions, SITE, [_connection()], now=T0)

    for minute in (1, 2, 3):
        connection_changes.record_connection_changes(
            sessions, SITE, [], now=T0 + timedelta(minutes=minute), failed_provider_ids=["google"]
        )

    assert len(_events(sessions)) == 1


def test_record_connection_seen_records_a_new_connection_once(sessions: Sessions) -> None:
    first = connection_changes.record_connection_seen(sessions, SITE, _connection("CONNECTED"), T0)
    again = connection_changes.record_connection_seen(sessions, SITE, _connection("CONNECTED"), T0)

    assert first is not None
    assert again is None
    state = connections.connection_state(sessions, "conn-1")
    assert state is not None
    assert state.status == "CONNECTED"
