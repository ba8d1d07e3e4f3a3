"""A host's links come back only when all of the host's calendars are healthy, whatever the interleaving.

Connection changes are found by the watcher's own rules (`check_connections` against the fake Wix),
so each event meets the connection's stored latest status as it would in production, and are then
processed as a worker does (`processing.run`), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_calendars import MICROSOFT_PROVIDER_ID
from processor.meetings.connection_changes import check_connections
from processor.store import paused_links
from processor.store.db import utcnow
from processor.store.models import CalendarConnectionState
from processor.wix import WixClient
from tests.fixtures.flow_deps import INSTANCE, FlowRunner
from tests.fixtures.servers import wait_until

STAFF_QUERY = r"^/bookings/v1/staff-members/query$"


@pytest.fixture
def two_calendars(fake_wix: FakeWix) -> dict[str, Any]:
    """A host with one active link and two calendar connections: Google and Outlook."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    link = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    google = fake_wix.add_connection(schedule_id, email="dana@example.com")
    outlook = fake_wix.add_connection(
        schedule_id, provider_id=MICROSOFT_PROVIDER_ID, email="dana@example.com"
    )
    return {"link": link["id"], "google": google["id"], "outlook": outlook["id"], "schedule_id": schedule_id}


def _look(runner: FlowRunner, wix: WixClient) -> list[int]:
    """One watcher round on the site: the ids of the change events it stored (not yet processed)."""
    return check_connections(wix, runner.sessions, INSTANCE, clock=utcnow)


def _look_and_process(runner: FlowRunner, wix: WixClient) -> list[str | None]:
    return [runner.process(event_id) for event_id in _look(runner, wix)]


def _enabled(fake_wix: FakeWix, service_id: str) -> bool:
    return bool(fake_wix.services[service_id]["onlineBooking"]["enabled"])


def test_links_stay_paused_until_every_calendar_of_the_host_has_recovered(
    flow_runner, fake_wix: FakeWix, wix_client: WixClient, two_calendars
) -> None:
    runner = flow_runner()
    _look_and_process(runner, wix_client)
    fake_wix.set_connection_status(two_calendars["google"], "ERROR", "TOKEN_REVOKED")
    fake_wix.set_connection_status(two_calendars["outlook"], "ERROR", "TOKEN_REVOKED")
    _look_and_process(runner, wix_client)

    fake_wix.set_connection_status(two_calendars["google"], "SYNCED")
    (google_back,) = _look(runner, wix_client)
    runner.process(google_back)
    enabled_while_outlook_broken = _enabled(fake_wix, two_calendars["link"])
    fake_wix.set_connection_status(two_calendars["outlook"], "SYNCED")
    (outlook_back,) = _look(runner, wix_client)
    runner.process(outlook_back)

    assert enabled_while_outlook_broken is False
    assert runner.shown(google_back)["status_reason"].startswith(
        f"links stay paused: 1 other connection(s) still broken ({two_calendars['outlook']} ERROR)"
    )
    assert _enabled(fake_wix, two_calendars["link"]) is True
    assert runner.shown(outlook_back)["status_reason"] == "1 link(s) reactivated"
    assert paused_links.deactivated_links(runner.sessions, schedule_id=two_calendars["schedule_id"]) == []


def test_a_break_overtaken_by_its_recovery_does_not_leave_the_links_off(
    flow_runner, fake_wix: FakeWix, wix_client: WixClient, two_calendars
) -> None:
    runner = flow_runner()
    fake_wix.remove_connection(two_calendars["outlook"])  # one calendar is enough here
    _look_and_process(runner, wix_client)
    fake_wix.set_connection_status(two_calendars["google"], "ERROR", "TOKEN_REVOKED")
    (broken,) = _look(runner, wix_client)
    asked_before = len(fake_wix.requests_to(STAFF_QUERY, "POST"))
    fake_wix.fail_next(STAFF_QUERY, status=None, delay=1.5)  # the break's first Wix call answers late
    breaking = threading.Thread(target=runner.process, args=(broken,))

    breaking.start()  # past its status check, now waiting for Wix
    wait_until(lambda: len(fake_wix.requests_to(STAFF_QUERY, "POST")) > asked_before, timeout=10)
    fake_wix.set_connection_status(two_calendars["google"], "SYNCED")
    (recovered,) = _look(runner, wix_client)
    runner.process(recovered)
    breaking.join(timeout=30)

    assert not breaking.is_alive()
    assert _enabled(fake_wix, two_calendars["link"]) is True
    assert paused_links.deactivated_links(runner.sessions, schedule_id=two_calendars["schedule_id"]) == []
    assert runner.shown(broken)["status"] == "succeeded"
    assert runner.shown(recovered)["status_reason"] == "1 link(s) reactivated"


def test_a_recovery_processed_after_a_later_break_leaves_the_links_paused(
    flow_runner, fake_wix: FakeWix, wix_client: WixClient, two_calendars
) -> None:
    runner = flow_runner()
    fake_wix.remove_connection(two_calendars["outlook"])
    _look_and_process(runner, wix_client)
    fake_wix.set_connection_status(two_calendars["google"], "ERROR", "TOKEN_REVOKED")
    _look_and_process(runner, wix_client)
    fake_wix.set_connection_status(two_calendars["google"], "SYNCED")
    (recovered,) = _look(runner, wix_client)
    fake_wix.set_connection_status(two_calendars["google"], "ERROR", "TOKEN_REVOKED")
    (broken_again,) = _look(runner, wix_client)

    late_recovery = runner.process(recovered)  # a worker picks the recovery up only now
    runner.process(broken_again)

    assert late_recovery == "skipped"
    assert runner.shown(recovered)["status_reason"] == "stale: the connection is ERROR now, not SYNCED"
    assert _enabled(fake_wix, two_calendars["link"]) is False


def test_a_connection_whose_error_reason_or_status_is_longer_than_wix_documents_is_still_watched(
    flow_runner, fake_wix: FakeWix, wix_client: WixClient, two_calendars
) -> None:
    runner = flow_runner()
    _look_and_process(runner, wix_client)
    reason = "EXTERNAL_CALENDAR_" + "UNHEARD_OF_" * 8  # 106 characters, an enum value Wix may add
    status = "SYNC_PAUSED_BY_A_PROVIDER_OUTAGE"  # 32 characters, not one the docs list
    fake_wix.set_connection_status(two_calendars["google"], "ERROR", reason)
    fake_wix.set_connection_status(two_calendars["outlook"], status)

    changes = _look(runner, wix_client)
    outcomes = [runner.process(event_id) for event_id in changes]
    again = _look(runner, wix_client)

    assert len(changes) == 2
    assert sorted(outcomes) == [
        "skipped",
        "succeeded",
    ]  # the break turns the link off; the odd status is neither
    assert again == []  # the stored status compares equal to the listed one next round
    assert _enabled(fake_wix, two_calendars["link"]) is False
    broke = next(runner.shown(e) for e in changes if runner.shown(e)["entity_id"] == two_calendars["google"])
    assert broke["payload"]["data"]["connection"]["errorReason"] == reason  # the event keeps it whole
    with runner.sessions() as session:
        row = session.get(CalendarConnectionState, two_calendars["google"])
        assert row is not None
        assert row.error_reason == reason[:60]
