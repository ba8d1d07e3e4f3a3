"""Retention and privacy end to end: signed webhooks, a real worker and beat, the fake Wix API, SMTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from processor.devtools.fake_wix import FakeWix
from processor.devtools.signing import domain_event, envelope, sign
from processor.store.db import utcnow
from processor.store.ledger import Ledger
from processor.store.models import Event, Notification, PrivacyErasure
from processor.store.redaction import redact_payload
from tests.fixtures.servers import wait_until

CREATED = "wix.bookings.v2.booking_created"
RESCHEDULED = "wix.bookings.v2.booking_rescheduled"
CANCELED = "wix.bookings.v2.booking_canceled"
ADMIN = {"Authorization": "Bearer s3cret-admin"}
PERSONAL = ("Lee", "lee@example.com", "+33 6 12 34 56 78")


def _booking(fake_wix: FakeWix, **kwargs: Any) -> dict[str, Any]:
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], **kwargs)
    return fake_wix.add_booking(service["id"], paid=kwargs.get("price"))


def _age(pipeline: Any, event_id: int, days: int) -> None:
    with pipeline.sessions() as session:
        session.execute(
            update(Event).where(Event.id == event_id).values(received_at=utcnow() - timedelta(days=days))
        )
        session.commit()


def _stored(pipeline: Any, event_id: int) -> Event | None:
    with pipeline.sessions() as session:
        return session.get(Event, event_id)


def _notifications_settled(pipeline: Any) -> bool:
    with pipeline.sessions() as session:
        statuses = session.execute(select(Notification.status)).scalars().all()
    return bool(statuses) and all(s not in ("pending", "sending") for s in statuses)


def test_a_redacted_event_delivered_again_still_answers_duplicate(
    flow_pipeline, fake_wix: FakeWix, signed_event
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="never", PURGE_INTERVAL_SECONDS="1")
    pipeline.start_worker(beat=True)  # beat's purge redacts it
    booking = _booking(fake_wix)
    token = signed_event(CREATED, entity_id=booking["id"], body={**booking, "revision": "1"}, sequence=1)
    first = pipeline.post(token).json["event_id"]
    pipeline.wait_for_status(first)

    _age(pipeline, first, 20)
    wait_until(lambda: (row := _stored(pipeline, first)) and row.payload_redacted_at, timeout=30)
    again = pipeline.post(token)

    assert again.json == {"status": "duplicate", "event_id": first}
    assert "lee@example.com" not in json.dumps(pipeline.event(first)["payload"])


def test_a_cancellation_delivered_again_after_its_event_was_purged_refunds_and_emails_nothing_twice(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always", PURGE_INTERVAL_SECONDS="1")
    pipeline.start_worker(beat=True)  # beat's purge deletes it
    booking = _booking(fake_wix, price="50.00")
    body = {"booking": {**booking, "status": "CANCELED", "revision": "2"}, "previousStatus": "CONFIRMED"}
    token = signed_event(CANCELED, entity_id=booking["id"], body=body, sequence=2)
    first = pipeline.post(token).json["event_id"]
    assert pipeline.wait_for_status(first)["status"] == "succeeded"
    emails = len(smtp_sink.wait_for(3))  # the host's cancellation, the customer's and host's refund

    _age(pipeline, first, 40)
    wait_until(lambda: _stored(pipeline, first) is None, timeout=30)
    again = pipeline.post(token)
    later = pipeline.wait_for_status(again.json["event_id"])

    assert again.json["status"] == "accepted"  # its id was forgotten with it, 40 days on
    assert (later["status"], later["status_reason"]) == ("skipped", "already refunded")
    assert len(fake_wix.refunds) == 1
    assert Ledger(pipeline.sessions).is_done(f"refund:{booking['id']}")
    assert later["notifications"] == []
    assert len(smtp_sink.messages) == emails


def test_an_anonymisation_event_erases_the_customer_from_earlier_events_and_sends_no_email(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink, wix_keys
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="never", ADMIN_TOKEN="s3cret-admin")
    pipeline.start_worker()
    booking = _booking(fake_wix)
    booking["contactDetails"]["phone"] = PERSONAL[2]
    other = fake_wix.add_booking(
        booking["bookedEntity"]["slot"]["serviceId"], contact_email="kim@example.com"
    )
    earlier = pipeline.post(
        signed_event(CREATED, entity_id=booking["id"], body={**booking, "revision": "1"}, sequence=1)
    ).json["event_id"]
    unrelated = pipeline.post(
        signed_event(CREATED, entity_id=other["id"], body={**other, "revision": "1"}, sequence=1)
    ).json["event_id"]
    for event_id in (earlier, unrelated):
        pipeline.wait_for_status(event_id)
    wait_until(lambda: _notifications_settled(pipeline), timeout=30)
    before = {i: pipeline.event(i) for i in (earlier, unrelated)}
    emails_before = len(smtp_sink.messages)

    anonymised = {
        **booking,
        "revision": "2",
        "contactDetails": {"contactId": booking["contactDetails"]["contactId"]},
    }
    anonymised["startDate"], anonymised["endDate"] = "2030-01-07T10:00:00.000Z", "2030-01-07T10:30:00.000Z"
    data = domain_event(RESCHEDULED, entity_id=booking["id"], body={"booking": anonymised}, sequence=2)
    data["triggeredByAnonymizeRequest"] = True
    answer = pipeline.post(sign(envelope(RESCHEDULED, data), wix_keys.private_pem))
    done = pipeline.wait_for_status(answer.json["event_id"])
    wait_until(lambda: _notifications_settled(pipeline), timeout=30)
    shown = pipeline.client.get(f"/admin/api/events/{earlier}", headers=ADMIN).json

    assert done["status"] == "succeeded"
    assert "personal data erased" in (done["status_reason"] or "")
    for text in PERSONAL:
        assert text not in json.dumps(shown["payload"])
    assert shown["payload"] == redact_payload(before[earlier]["payload"])
    assert shown["payload_redacted_at"] is not None
    for key in ("id", "wix_event_id", "event_type", "status", "status_reason", "received_at", "attempts"):
        assert shown[key] == before[earlier][key]
    assert pipeline.event(unrelated) == before[unrelated]
    assert len(smtp_sink.messages) == emails_before
    assert done["notifications"], "the flow recorded its notices (the reschedule email)"
    assert {(n["status"], n["last_error"]) for n in done["notifications"]} == {
        ("skipped", "privacy request: no email about it")
    }
    with pipeline.sessions() as session:
        record = session.execute(select(PrivacyErasure)).scalar_one()
    assert (record.requested_by, record.subject_kind, record.subject_ref) == (
        "wix_event",
        "booking",
        booking["id"],
    )
