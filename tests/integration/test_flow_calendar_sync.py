"""The calendar and provisioning flows called directly, on both stores: link changes first, notices after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.meetings.connection_changes import ConnectionChange, status_change_event
from processor.store import sites

INSTANCE = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34"
PROVISION = r"^/meetings/v1/provision-meetings-app$"


@pytest.fixture
def host_link(fake_wix: FakeWix) -> dict[str, Any]:
    """A host with one active link and a Google calendar connection."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    link = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    schedule_id = host["resource"]["eventsSchedule"]["id"]
    connection = fake_wix.add_connection(schedule_id, email="dana@example.com")
    return {"link": link["id"], "connection": connection}


def _change(runner: Any, connection: dict[str, Any], status: str, previous: str) -> tuple[int, Any]:
    observed = {**connection, "status": status}
    if status == "ERROR":
        observed["errorReason"] = "TOKEN_REVOKED"
    event = status_change_event(INSTANCE, ConnectionChange(observed, previous, datetime.now(UTC)))
    return runner.keep(event), event


def test_a_broken_calendar_pauses_the_link_then_tells_the_host_and_ops(
    flow_runner, fake_wix: FakeWix, host_link, smtp_sink, ops_hook
) -> None:
    runner = flow_runner()
    event_id, event = _change(runner, host_link["connection"], "ERROR", "SYNCED")

    outcome = runner.call(event_id, event)
    runner.deliver(event_id)

    assert outcome.detail == "1 link(s) deactivated"
    assert fake_wix.services[host_link["link"]]["onlineBooking"]["enabled"] is False
    notices = [(n["channel"], n["kind"], n["status"]) for n in runner.shown(event_id)["notifications"]]
    assert notices == [("email", "link_deactivated", "sent"), ("ops", "link.deactivated", "sent")]
    assert smtp_sink.wait_for(1)[0]["Subject"] == "Booking paused: Intro call"
    assert ops_hook.wait_for(1)[0]["text"].startswith("[link.deactivated] 1 link(s) deactivated")


def test_smtp_down_does_not_stop_pausing_nor_resuming_links(
    flow_runner, fake_wix: FakeWix, host_link, smtp_sink
) -> None:
    runner = flow_runner()
    smtp_sink.refuse_all()
    broken_id, _ = _change(runner, host_link["connection"], "ERROR", "SYNCED")
    recovered_id, _ = _change(runner, host_link["connection"], "SYNCED", "ERROR")

    broken = runner.process(broken_id)
    enabled_while_broken = fake_wix.services[host_link["link"]]["onlineBooking"]["enabled"]
    recovered = runner.process(recovered_id)
    runner.deliver(broken_id, recovered_id)

    assert (broken, recovered) == ("succeeded", "succeeded")
    assert enabled_while_broken is False
    assert fake_wix.services[host_link["link"]]["onlineBooking"]["enabled"] is True
    emails = [
        n
        for e in (broken_id, recovered_id)
        for n in runner.shown(e)["notifications"]
        if n["channel"] == "email"
    ]
    assert [(n["kind"], n["status"]) for n in emails] == [
        ("link_deactivated", "failed"),
        ("link_reactivated", "failed"),
    ]


def test_install_provisions_once_and_removal_marks_the_site(flow_runner, fake_wix: FakeWix) -> None:
    runner = flow_runner()
    install = {"id": "install-1", "appId": fake_wix.app_id}
    first_id, first = runner.event("AppInstalled", data=install)
    again_id, again = runner.event("AppInstalled", data={**install, "id": "install-2"})
    removed_id, removed = runner.event("AppRemoved", data={"id": "remove-1", "appId": fake_wix.app_id})

    installed = runner.call(first_id, first)
    repeated = runner.call(again_id, again)
    gone = runner.call(removed_id, removed)

    assert installed.detail == "provisioned Meetings"
    assert repeated.reason == "already installed and provisioned"
    assert len(fake_wix.requests_to(PROVISION, "POST")) == 1
    assert gone.detail == "site removed"
    site = sites.get_site(runner.sessions, INSTANCE)
    assert site is not None
    assert site.status == "removed"
