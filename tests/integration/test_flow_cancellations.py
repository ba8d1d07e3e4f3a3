"""The cancellation flow called directly, on both stores: the refund first, its emails on their own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from processor.devtools.fake_wix import FakeWix
from processor.meetings.refunds import refund_booking_once
from processor.store.ledger import Ledger
from processor.store.models import Notification
from processor.wix import WixUnavailableError
from processor.wix.orders import PaymentRefund
from workers.flows import PermanentFailure, Skipped, Succeeded

CANCELED = "wix.bookings.v2.booking_canceled"
REFUND_PATH = r"/order-billing/refund-payments$"


def _paid_booking(fake_wix: FakeWix, **kwargs: Any) -> dict[str, Any]:
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], price="50.00")
    return fake_wix.add_booking(service["id"], **{"paid": "50.00", **kwargs})


def _canceled(booking: dict[str, Any], revision: int = 2) -> dict[str, Any]:
    return {"booking": {**booking, "status": "CANCELED", "revision": str(revision)}}


def _rows(runner: Any) -> list[Notification]:
    with runner.sessions() as session:
        return list(session.execute(select(Notification).order_by(Notification.id)).scalars())


def test_a_paid_cancellation_refunds_then_delivers_three_emails_over_one_connection(
    flow_runner, fake_wix: FakeWix, smtp_sink
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.call(event_id, event)
    recorded = [
        (n["kind"], n["recipient_role"], n["status"]) for n in runner.shown(event_id)["notifications"]
    ]
    delivered = runner.deliver(event_id)

    assert outcome == Succeeded("refunded 50.00 USD")
    assert len(fake_wix.refunds) == 1
    assert recorded == [
        ("booking_canceled", "host", "pending"),
        ("refund_issued_customer", "customer", "pending"),
        ("refund_issued_host", "host", "pending"),
    ]
    assert delivered == {"sent": 3}
    assert sorted(m["To"] for m in smtp_sink.wait_for(3)) == [
        "dana@example.com",
        "dana@example.com",
        "lee@example.com",
    ]
    assert smtp_sink.connections == 1
    assert [(n.status, n.message, n.attempts) for n in _rows(runner)] == [("sent", None, 1)] * 3


def test_smtp_refusing_everything_neither_stops_nor_undoes_the_refund(
    flow_runner, fake_wix: FakeWix, smtp_sink, ops_hook
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    smtp_sink.refuse_all("554 5.3.0 Service unavailable")
    event_id, _ = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.process(event_id)
    runner.deliver(event_id)
    shown = runner.shown(event_id)

    assert outcome == "succeeded"
    assert len(fake_wix.refunds) == 1
    assert [(n["kind"], n["status"], n["last_error"]) for n in shown["notifications"]] == [
        ("booking_canceled", "failed", "sender refused (554)"),
        ("refund_issued_customer", "failed", "sender refused (554)"),
        ("refund_issued_host", "failed", "sender refused (554)"),
        ("notification.failed", "sent", None),
        ("notification.failed", "sent", None),
        ("notification.failed", "sent", None),
    ]
    texts = [post["text"] for post in ops_hook.wait_for(3)]
    assert all(text.startswith("[notification.failed]") for text in texts)
    assert "example.com" not in str(ops_hook.posts)


def test_a_customer_name_with_line_breaks_and_control_characters_cannot_break_the_emails(
    flow_runner, fake_wix: FakeWix, smtp_sink
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix, contact_first_name="Lee\r\nBcc: mallory@example.com\x07\x00")
    event_id, _ = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.process(event_id)
    runner.deliver(event_id)

    assert outcome == "succeeded"
    assert len(fake_wix.refunds) == 1
    messages = smtp_sink.wait_for(3)
    subjects = sorted(str(m["Subject"]).strip() for m in messages)
    assert subjects[0].startswith("Booking canceled: Intro call with Lee Bcc: mallory@example.com,")
    assert all("\r" not in s and "\n" not in s and "\x07" not in s for s in subjects)
    assert all(m["Bcc"] is None for m in messages)
    assert all("mallory@example.com" not in rcpt for e in smtp_sink.envelopes for rcpt in e.rcpt_tos)


def test_a_refund_wix_refuses_still_alerts_ops_and_goes_dead_and_the_host_hears_of_the_cancellation(
    flow_runner, fake_wix: FakeWix, smtp_sink, ops_hook
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    fake_wix.fail_next(REFUND_PATH, status=400)
    event_id, _ = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.process(event_id)
    runner.deliver(event_id)

    assert outcome == "dead"
    assert fake_wix.refunds == []
    assert [n["kind"] for n in runner.shown(event_id)["notifications"]] == [
        "booking_canceled",
        "refund.failed",
        "event.dead",
    ]
    texts = sorted(post["text"].split("]")[0] for post in ops_hook.wait_for(2))
    assert texts == ["[event.dead", "[refund.failed"]
    (message,) = smtp_sink.wait_for(1)
    assert message["Subject"].startswith("Booking canceled")


def test_the_dead_alert_waits_in_the_outbox_while_the_ops_webhook_is_down_and_arrives_once(
    flow_runner, fake_wix: FakeWix, ops_hook
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    fake_wix.fail_next(REFUND_PATH, status=400)
    ops_hook.status = 503
    event_id, _ = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.process(event_id)  # the attempt's own try of its alerts meets the 503
    refused = len(ops_hook.posts)
    ops_hook.status = 200
    runner.deliver(event_id)  # the retry, as the sweep's delivery task makes it
    runner.deliver(event_id)

    assert outcome == "dead"
    assert refused == 2
    delivered = sorted(post["text"].split("]")[0] for post in ops_hook.posts[refused:])
    assert delivered == ["[event.dead", "[refund.failed"]
    kinds = {n["kind"]: n["status"] for n in runner.shown(event_id)["notifications"]}
    assert (kinds["event.dead"], kinds["refund.failed"]) == ("sent", "sent")


def test_the_same_cancellation_again_sends_nothing_twice_and_re_arms_what_failed(
    flow_runner, fake_wix: FakeWix, smtp_sink
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    smtp_sink.refuse("dana@example.com", "550 5.1.1 no such mailbox")
    first_id, first = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))
    runner.call(first_id, first)
    runner.deliver(first_id)
    smtp_sink.clear()

    second_id, second = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking, 3))
    outcome = runner.call(second_id, second)
    runner.deliver(first_id, second_id)

    assert outcome == Skipped("already refunded")
    assert len(fake_wix.refunds) == 1
    statuses = [(n.kind, n.status, n.event_id) for n in _rows(runner) if n.channel == "email"]
    assert statuses == [
        ("booking_canceled", "sent", first_id),
        ("refund_issued_customer", "sent", first_id),
        ("refund_issued_host", "sent", first_id),
    ]
    assert sorted(m["Subject"].split(":")[0] for m in smtp_sink.wait_for(2)) == [
        "Booking canceled",
        "Refund issued",
    ]
    assert len(smtp_sink.messages) == 2  # the customer's email went the first time: not again


def test_a_refund_that_landed_while_its_answer_was_lost_is_ours_and_its_emails_go_once(
    flow_runner, fake_wix: FakeWix, smtp_sink
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    fake_wix.fail_next(REFUND_PATH, status=None, drop=True, applied=True)
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    with pytest.raises(WixUnavailableError):  # the connection dropped: the outcome is unknown
        runner.call(event_id, event)
    retried = runner.call(event_id, event)
    runner.deliver(event_id)

    assert retried == Succeeded("refunded 50.00 USD")
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1
    assert len(fake_wix.refunds) == 1
    entry = Ledger(runner.sessions).entry(f"refund:{booking['id']}")
    assert entry is not None
    assert entry[0] == "done"
    assert entry[1]["refund_id"] == fake_wix.refunds[0]["id"]
    subjects = sorted(m["Subject"].split(":")[0] for m in smtp_sink.wait_for(3))
    assert subjects == ["Booking canceled", "Refund for Intro call", "Refund issued"]


def test_a_refund_that_later_failed_at_wix_is_reported_as_failed_not_refunded(
    flow_runner, fake_wix: FakeWix, wix_client
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))
    runner.call(event_id, event)
    fake_wix.fail_refund(fake_wix.refunds[0]["id"])

    reported = refund_booking_once(wix_client, Ledger(runner.sessions), booking["id"], reason="x")

    assert (reported.status, reported.refund_id) == ("refund_failed", fake_wix.refunds[0]["id"])
    assert reported.amount == Decimal(0)
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1


def test_a_forced_replay_of_a_refund_that_later_failed_goes_dead_and_alerts_ops(
    flow_runner, fake_wix: FakeWix, ops_hook
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix)
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))
    first = runner.call(event_id, event)
    fake_wix.fail_refund(fake_wix.refunds[0]["id"])

    with pytest.raises(PermanentFailure, match="failed at Wix") as raised:
        runner.call(event_id, event)  # what a forced replay runs
    runner.deliver(event_id)

    assert first == Succeeded("refunded 50.00 USD")
    assert str(raised.value) == f"our refund {fake_wix.refunds[0]['id']} failed at Wix: refund it by hand"
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1
    assert any(p["text"].startswith("[refund.failed] Our refund") for p in ops_hook.wait_for(1))


def test_a_booking_in_a_cart_gets_back_only_its_own_line(flow_runner, fake_wix: FakeWix, wix_client) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix, other_items=["30.00"])
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.call(event_id, event)
    again = refund_booking_once(wix_client, Ledger(runner.sessions), booking["id"], reason="x")

    assert outcome == Succeeded("refunded 50.00 USD")
    (refund,) = fake_wix.refunds
    assert refund["request"]["paymentRefunds"][0]["amount"] == {"amount": "50.00"}
    (order,) = fake_wix.orders.values()
    line = next(li for li in order["lineItems"] if li["catalogReference"]["catalogItemId"] == booking["id"])
    assert refund["request"]["refundItems"] == {"lineItems": [{"lineItemId": line["id"], "quantity": 1}]}
    assert (again.status, again.amount) == ("already_refunded", Decimal("50.00"))


def test_a_booking_whose_cart_neighbour_was_refunded_is_still_refunded_in_full(
    flow_runner, fake_wix: FakeWix, wix_client
) -> None:
    runner = flow_runner(REFUND_POLICY="always")
    booking = _paid_booking(fake_wix, other_items=["30.00"])
    (order,) = fake_wix.orders.values()
    other = next(li for li in order["lineItems"] if li["catalogReference"]["catalogItemId"] != booking["id"])
    payment = wix_client.orders.refundability(order["id"]).payments[0]
    wix_client.orders.refund(
        order["id"], [PaymentRefund(payment.payment_id, Decimal("30.00"))], line_item_id=other["id"]
    )
    event_id, event = runner.event(CANCELED, entity_id=booking["id"], body=_canceled(booking))

    outcome = runner.call(event_id, event)

    assert outcome == Succeeded("refunded 50.00 USD")
    assert [r["request"]["paymentRefunds"][0]["amount"]["amount"] for r in fake_wix.refunds] == [
        "30.00",
        "50.00",
    ]
