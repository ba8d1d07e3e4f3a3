"""Calendar connections end to end: the watcher (beat) sees a change in the fake, links follow."""

from __future__ import annotations

import time
from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.meetings.connection_changes import CONNECTION_EVENT_TYPE
from processor.store import event_json, event_queries
from processor.store.models import DeactivatedLink
from processor.wix.services import online_booking_changes
from tests.fixtures.servers import wait_until

POLL_SECONDS = 1
PATCH = r"^/_api/bookings/v2/services/"
REDIRECT = "https://example.com/back-soon"


@pytest.fixture
def host_setup(fake_wix: FakeWix) -> dict[str, Any]:
    """A host with an active link, a link the owner turned off, and a synced Google calendar."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    active = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    owners_off = fake_wix.add_service("Old link", staff_member_ids=[host["resourceId"]], enabled=False)
    other = fake_wix.add_staff_member("Kim", "kim@example.com")
    others = fake_wix.add_service("Kim's call", staff_member_ids=[other["resourceId"]])
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    connection = fake_wix.add_connection(schedule_id, email="dana@example.com")
    return {
        "active": active["id"],
        "owners_off": owners_off["id"],
        "others": others["id"],
        "schedule_id": schedule_id,
        "connection_id": connection["id"],
        "staff_id": host["id"],
    }


def _connection_events(pipeline: Any) -> list[dict[str, Any]]:
    with pipeline.sessions() as session:
        rows, _ = event_queries.page(
            session, event_queries.EventFilter(event_type=CONNECTION_EVENT_TYPE), limit=50
        )
        return [event_json.event_to_json(r) for r in reversed(rows)]


def _settled(pipeline: Any, count: int) -> list[dict[str, Any]]:
    """Wait until `count` connection events exist and all are finished."""

    def done() -> list[dict[str, Any]] | None:
        events = _connection_events(pipeline)
        finished = all(e["status"] in ("succeeded", "skipped", "dead") for e in events)
        return events if len(events) >= count and finished else None

    return wait_until(done, timeout=20, message=f"connection events: {_connection_events(pipeline)}")


def _patches(fake_wix: FakeWix, service_id: str) -> list[dict[str, Any]]:
    return [r.json["service"] for r in fake_wix.requests_to(PATCH + service_id, "PATCH")]


def test_broken_calendar_pauses_the_hosts_links_and_recovery_resumes_only_those(
    flow_pipeline, fake_wix: FakeWix, host_setup, smtp_sink, ops_hook
) -> None:
    pipeline = flow_pipeline(
        CALENDAR_POLL_SECONDS=str(POLL_SECONDS), MEETINGS_DEACTIVATED_REDIRECT_URL=REDIRECT
    )
    pipeline.start_worker(beat=True)
    (first,) = _settled(pipeline, 1)
    fake_wix.fail_next(PATCH, status=409)  # a stale revision on the first write

    flipped_at = time.monotonic()
    fake_wix.set_connection_status(host_setup["connection_id"], "ERROR", "TOKEN_REVOKED")
    wait_until(
        lambda: not fake_wix.services[host_setup["active"]]["onlineBooking"]["enabled"],
        timeout=2 * POLL_SECONDS + 8,
        message="link never deactivated",
    )
    paused_after = time.monotonic() - flipped_at
    broken = _settled(pipeline, 2)[1]

    assert first["payload"]["data"]["previousStatus"] is None
    assert broken["source"] == "watcher"
    assert broken["payload"]["data"]["previousStatus"] == "SYNCED"
    assert broken["status"] == "succeeded"
    assert paused_after < 2 * POLL_SECONDS + 8
    stale, landed = _patches(fake_wix, host_setup["active"])
    assert stale["revision"] == landed["revision"] == "1"
    assert landed["onlineBooking"]["enabled"] is False
    assert landed["extendedFields"]["namespaces"]["@services/meetings"] == {
        "deactivatedRedirectUrl": REDIRECT
    }
    assert _patches(fake_wix, host_setup["owners_off"]) == []
    assert _patches(fake_wix, host_setup["others"]) == []
    (paused_mail,) = smtp_sink.wait_for(1)
    assert paused_mail["To"] == "dana@example.com"
    assert paused_mail["Subject"] == "Booking paused: Intro call"
    alert = ops_hook.wait_for(1)[0]
    assert alert["text"].startswith("[link.deactivated]")
    assert "dana" not in str(alert)

    fake_wix.set_connection_status(host_setup["connection_id"], "SYNCED")
    wait_until(
        lambda: fake_wix.services[host_setup["active"]]["onlineBooking"]["enabled"],
        timeout=2 * POLL_SECONDS + 8,
        message="link never reactivated",
    )
    recovered = _settled(pipeline, 3)[2]

    assert recovered["status"] == "succeeded"
    assert _patches(fake_wix, host_setup["active"])[-1] == {
        "id": host_setup["active"],
        "revision": "2",
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False},
    }
    assert fake_wix.services[host_setup["owners_off"]]["onlineBooking"]["enabled"] is False
    assert _patches(fake_wix, host_setup["owners_off"]) == []
    subjects = [m["Subject"] for m in smtp_sink.wait_for(2)]
    assert subjects[-1] == "Booking resumed: Intro call"
    assert ops_hook.wait_for(2)[1]["text"].startswith("[link.reactivated]")


def test_a_vanished_connection_counts_as_disconnected_after_two_polls(
    flow_pipeline, fake_wix: FakeWix, host_setup
) -> None:
    pipeline = flow_pipeline(CALENDAR_POLL_SECONDS=str(POLL_SECONDS))
    pipeline.start_worker(beat=True)
    _settled(pipeline, 1)

    fake_wix.remove_connection(host_setup["connection_id"])
    gone = _settled(pipeline, 2)[1]

    assert gone["payload"]["data"]["connection"]["status"] == "DISCONNECTED"
    assert gone["status"] == "succeeded"
    assert fake_wix.services[host_setup["active"]]["onlineBooking"]["enabled"] is False


def test_a_new_connection_with_import_off_gets_import_turned_on(
    flow_pipeline, fake_wix: FakeWix, signed_event
) -> None:
    pipeline = flow_pipeline()  # no polling: the staff event triggers the check
    pipeline.start_worker()
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    sync = {
        "listEventFromCalendars": {"enabled": False, "primaryCalendar": {}},
        "syncToCalendar": {"enabled": True, "primaryCalendar": {}},
    }
    connection = fake_wix.add_connection(schedule_id, status="CONNECTED", sync_config=sync)

    answer = pipeline.post(
        signed_event("wix.bookings.staff.v1.staff_member_connected_to_user", entity_id=host["id"], body={})
    )
    staff_event = pipeline.wait_for_status(answer.json["event_id"])
    (new,) = _settled(pipeline, 1)

    assert staff_event["status_reason"] == "1 connection change(s) recorded"
    assert new["status"] == "succeeded"
    (update,) = fake_wix.requests_to(r"/sync-config$", "PATCH")
    assert update.json["syncConfig"]["listEventFromCalendars"]["enabled"] is True
    assert update.json["syncConfig"]["syncToCalendar"]["enabled"] is True
    listing = fake_wix.requests_to(r"/external-calendars/connections$", "GET")[0]
    assert listing.query["scheduleIds"] == [schedule_id]
    assert fake_wix.connections[connection["id"]]["syncConfig"]["listEventFromCalendars"]["enabled"] is True


def test_a_paused_link_the_owner_switched_on_and_off_meanwhile_is_left_off_on_recovery(
    flow_pipeline, fake_wix: FakeWix, host_setup, wix_client, ops_hook
) -> None:
    pipeline = flow_pipeline(CALENDAR_POLL_SECONDS=str(POLL_SECONDS))
    pipeline.start_worker(beat=True)
    _settled(pipeline, 1)
    fake_wix.set_connection_status(host_setup["connection_id"], "ERROR", "TOKEN_REVOKED")
    wait_until(
        lambda: not fake_wix.services[host_setup["active"]]["onlineBooking"]["enabled"],
        timeout=2 * POLL_SECONDS + 8,
        message="link never deactivated",
    )
    _settled(pipeline, 2)
    for enabled in (True, False):  # the owner, in the dashboard: on, then off again (their choice now)
        current = wix_client.services.get(host_setup["active"])
        wix_client.services.update(current.id, current.revision, online_booking_changes(enabled, None))
    patches_before = len(_patches(fake_wix, host_setup["active"]))

    fake_wix.set_connection_status(host_setup["connection_id"], "SYNCED")
    recovered = _settled(pipeline, 3)[2]

    assert recovered["status"] == "succeeded"
    assert recovered["status_reason"] == "1 left off (edited on Wix while paused)"
    assert fake_wix.services[host_setup["active"]]["onlineBooking"]["enabled"] is False
    assert len(_patches(fake_wix, host_setup["active"])) == patches_before
    alert = ops_hook.wait_for(2)[1]
    assert alert["text"].startswith("[link.left_off]")
    assert host_setup["active"] in str(alert)
    with pipeline.sessions() as session:
        assert session.get(DeactivatedLink, host_setup["active"]) is None
