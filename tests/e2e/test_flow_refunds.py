"""Canceled paid meetings end to end: signed webhook → worker → fake Wix refund → SMTP emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from processor.devtools.fake_wix import FakeWix

CANCELED = "wix.bookings.v2.booking_canceled"
REFUND_PATH = r"/order-billing/refund-payments$"


def _paid_booking(fake_wix: FakeWix, *, start: datetime | None = None) -> dict[str, Any]:
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], price="50.00")
    return fake_wix.add_booking(service["id"], paid="50.00", start=start)


def _canceled(booking: dict[str, Any]) -> dict[str, Any]:
    return {"booking": {**booking, "status": "CANCELED", "revision": "2"}, "previousStatus": "CONFIRMED"}


def _ics_methods(messages: list) -> list[str]:
    methods = []
    for message in messages:
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                methods.append(part.get_param("method"))
    return methods


def test_a_cancellation_delivered_three_times_refunds_once(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always")
    pipeline.start_worker()
    booking = _paid_booking(fake_wix)
    token = signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking), sequence=2)
    resent = signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking), sequence=2)

    first = pipeline.post(token)
    pipeline.wait_for_status(first.json["event_id"])
    duplicate = pipeline.post(token)
    second = pipeline.post(resent)
    later = pipeline.wait_for_status(second.json["event_id"])

    assert pipeline.event(first.json["event_id"])["status"] == "succeeded"
    assert duplicate.json["status"] == "duplicate"
    assert (later["status"], later["status_reason"]) == ("skipped", "already refunded")
    assert len(fake_wix.refunds) == 1
    assert fake_wix.refunds[0]["request"]["paymentRefunds"][0]["amount"] == {"amount": "50.00"}
    messages = smtp_sink.wait_for(3)
    assert sorted(m["To"] for m in messages) == ["dana@example.com", "dana@example.com", "lee@example.com"]
    assert _ics_methods(messages) == ["CANCEL"]
    assert any(m["Subject"].startswith("Refund for Intro call: 50.00 USD") for m in messages)


def test_refund_failing_with_500_twice_and_429_once_refunds_once_after_retries(
    flow_pipeline, fake_wix: FakeWix, signed_event
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always", MAX_ATTEMPTS="6", RETRY_BASE_SECONDS="1")
    pipeline.start_worker(beat=True)  # beat's sweep re-queues the failed attempts
    booking = _paid_booking(fake_wix)
    fake_wix.fail_next(REFUND_PATH, status=500, times=2)
    fake_wix.fail_next(REFUND_PATH, status=429, retry_after=1)

    answer = pipeline.post(signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking)))
    event = pipeline.wait_for_status(answer.json["event_id"], "succeeded", "dead", timeout=60)

    assert event["status"] == "succeeded"
    assert [a["outcome"] for a in event["attempts"]] == ["failed", "failed", "failed", "succeeded"]
    assert "429" in event["attempts"][2]["error"]
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 4
    assert len(fake_wix.refunds) == 1
    refundability = fake_wix.requests_to(r"/get-order-refundability$", "POST")
    assert len(refundability) >= 4  # re-read before every attempt


def test_window_policy_refunds_only_cancellations_before_the_window(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="window")
    pipeline.start_worker()
    early = _paid_booking(fake_wix, start=datetime.now(UTC) + timedelta(days=3))
    late = _paid_booking(fake_wix, start=datetime.now(UTC) + timedelta(hours=2))

    refunded = pipeline.post(signed_event(CANCELED, entity_id=early["id"], body=_canceled(early)))
    kept = pipeline.post(signed_event(CANCELED, entity_id=late["id"], body=_canceled(late)))
    refunded_event = pipeline.wait_for_status(refunded.json["event_id"])
    kept_event = pipeline.wait_for_status(kept.json["event_id"])

    assert refunded_event["status"] == "succeeded"
    assert (kept_event["status"], kept_event["status_reason"]) == (
        "skipped",
        "canceled inside the cancellation window",
    )
    assert [r["request"]["orderId"] for r in fake_wix.refunds] == [
        o["id"]
        for o in fake_wix.orders.values()
        if o["lineItems"][0]["catalogReference"]["catalogItemId"] == early["id"]
    ]
    subjects = [m["Subject"] for m in smtp_sink.wait_for(5)]
    assert sum(s.startswith("No refund issued") for s in subjects) == 1


def test_a_booking_of_another_app_is_skipped_without_wix_writes(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always")
    pipeline.start_worker()
    service = fake_wix.add_service("Yoga class", app_id="13d21c63-b5ec-5912-8397-c3a5ddb27a97", price="20")
    booking = fake_wix.add_booking(service["id"], paid="20.00", app_id="13d21c63-b5ec-5912-8397-c3a5ddb27a97")

    answer = pipeline.post(signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking)))
    event = pipeline.wait_for_status(answer.json["event_id"])

    assert (event["status"], event["status_reason"]) == ("skipped", "not a Meetings booking")
    assert [r.path for r in fake_wix.requests] == [f"/bookings/v2/services/{service['id']}"]
    assert event["notifications"] == []
    assert smtp_sink.messages == []
