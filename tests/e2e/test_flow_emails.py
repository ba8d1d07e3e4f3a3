"""Host emails with .ics end to end, stale events, and site provisioning."""

from __future__ import annotations

from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.store import sites
from processor.store.tokens import StoreTokenCache

CREATED = "wix.bookings.v2.booking_created"
RESCHEDULED = "wix.bookings.v2.booking_rescheduled"
CANCELED = "wix.bookings.v2.booking_canceled"
PROVISION = r"^/meetings/v1/provision-meetings-app$"


@pytest.fixture
def booking(fake_wix: FakeWix) -> dict[str, Any]:
    """A free Meetings booking whose host resource carries no email (found via Staff Members)."""
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    booking = fake_wix.add_booking(service["id"])
    del booking["bookedEntity"]["slot"]["resource"]["email"]
    return booking


def _at(booking: dict[str, Any], revision: int, **changes: Any) -> dict[str, Any]:
    return {**booking, "revision": str(revision), **changes}


def _calendar(message: Any) -> str:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return str(part.get_content())


def test_invitation_update_and_cancellation_share_one_calendar_entry(
    flow_pipeline, fake_wix: FakeWix, booking, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="never")
    pipeline.start_worker()
    moved = _at(booking, 2, startDate="2030-01-07T10:00:00.000Z", endDate="2030-01-07T10:30:00.000Z")

    for event_type, body, sequence in (
        (CREATED, _at(booking, 1), 1),
        (RESCHEDULED, {"booking": moved, "previousStartDate": booking["startDate"]}, 2),
        (CANCELED, {"booking": _at(moved, 3, status="CANCELED")}, 3),
    ):
        answer = pipeline.post(
            signed_event(event_type, entity_id=booking["id"], body=body, sequence=sequence)
        )
        assert pipeline.wait_for_status(answer.json["event_id"])["status"] in ("succeeded", "skipped")
    # Each email is delivered by its own task once its event is done: they may arrive in any order.
    by_subject = {str(m["Subject"]).split(":")[0]: m for m in smtp_sink.wait_for(3)}
    created, updated, canceled = (by_subject[s] for s in ("New booking", "Booking moved", "Booking canceled"))

    assert [m["To"] for m in (created, updated, canceled)] == ["dana@example.com"] * 3
    uid = f"UID:{booking['id']}@wix-meetings-processor"
    for message, method, sequence in (
        (created, "REQUEST", 1),
        (updated, "REQUEST", 2),
        (canceled, "CANCEL", 3),
    ):
        ics = _calendar(message)
        assert f"METHOD:{method}" in ics
        assert uid in ics
        assert f"SEQUENCE:{sequence}" in ics
    assert "DTSTART:20300107T100000Z" in _calendar(updated)
    assert fake_wix.refunds == []


def test_a_created_event_arriving_after_the_cancellation_sends_no_invitation(
    flow_pipeline, booking, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="never")
    pipeline.start_worker()
    canceled = {"booking": _at(booking, 2, status="CANCELED")}

    first = pipeline.post(signed_event(CANCELED, entity_id=booking["id"], body=canceled, sequence=2))
    pipeline.wait_for_status(first.json["event_id"])
    late = pipeline.post(signed_event(CREATED, entity_id=booking["id"], body=_at(booking, 1), sequence=1))
    event = pipeline.wait_for_status(late.json["event_id"])

    assert event["status"] == "skipped"
    assert event["status_reason"].startswith("stale: sequence 1")
    (only,) = smtp_sink.wait_for(1)
    assert "METHOD:CANCEL" in _calendar(only)


def test_install_provisions_once_and_removal_forgets_the_site(
    flow_pipeline, fake_wix: FakeWix, signed_event
) -> None:
    pipeline = flow_pipeline()
    pipeline.start_worker()
    instance = fake_wix.instance_id
    install = {"appId": fake_wix.app_id}

    first = pipeline.post(signed_event("AppInstalled", body=install, instance_id=instance))
    installed = pipeline.wait_for_status(first.json["event_id"])
    again = pipeline.post(signed_event("AppInstalled", body={**install, "x": 1}, instance_id=instance))
    repeated = pipeline.wait_for_status(again.json["event_id"])
    site = sites.get_site(pipeline.sessions, instance)

    assert (installed["status"], installed["status_reason"]) == ("succeeded", "provisioned Meetings")
    assert (repeated["status"], repeated["status_reason"]) == ("skipped", "already installed and provisioned")
    assert len(fake_wix.requests_to(PROVISION, "POST")) == 1
    (service,) = [
        s for s in fake_wix.services.values() if s["appId"] == "6646a75c-2027-4f49-976c-58f3d713ed0f"
    ]
    assert site is not None
    assert site.meetings_service_id == service["id"]
    assert site.booking_page_url == service["urls"]["bookingPage"]["url"]
    assert site.schedule_id == service["schedule"]["id"]
    assert site.booking_policy_id == service["bookingPolicy"]["id"]

    StoreTokenCache(pipeline.sessions).put(instance, "token", site.installed_at)
    removed = pipeline.post(signed_event("AppRemoved", body=install, instance_id=instance))
    assert pipeline.wait_for_status(removed.json["event_id"])["status"] == "succeeded"

    assert sites.get_site(pipeline.sessions, instance).status == "removed"
    assert instance not in sites.installed_instance_ids(pipeline.sessions, pipeline.settings)
    assert StoreTokenCache(pipeline.sessions).get(instance) is None
