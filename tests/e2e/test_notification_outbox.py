"""Notifications end to end (real worker, fake Wix, aiosmtpd): an email never blocks a refund."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from processor.devtools.fake_wix import FakeWix
from tests.fixtures.pipeline import REPO
from tests.fixtures.servers import wait_until

CANCELED = "wix.bookings.v2.booking_canceled"
CREATED = "wix.bookings.v2.booking_created"
CONFIRMED = "wix.bookings.v2.booking_confirmed"
REFUND_PATH = r"/order-billing/refund-payments$"
ADMIN = {"Authorization": "Bearer s3cret-admin"}


def _cli(pipeline: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "processor", *args],
        env={**pipeline.env, "PYTHONPATH": str(REPO)},
        cwd=pipeline.tmp,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _paid_booking(fake_wix: FakeWix) -> dict[str, Any]:
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], price="50.00")
    return fake_wix.add_booking(service["id"], paid="50.00")


def _notices(pipeline: Any, event_id: int) -> dict[str, dict[str, Any]]:
    return {n["kind"]: n for n in pipeline.event(event_id)["notifications"]}


def test_smtp_refusing_everything_leaves_the_refund_done_and_a_replay_sends_the_email_once(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink, ops_hook
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always", ADMIN_TOKEN="s3cret-admin")
    pipeline.start_worker(beat=True)
    booking = _paid_booking(fake_wix)
    smtp_sink.refuse_all("554 5.3.0 Service unavailable")
    body = {"booking": {**booking, "status": "CANCELED", "revision": "2"}}

    answer = pipeline.post(signed_event(CANCELED, entity_id=booking["id"], body=body))
    event_id = answer.json["event_id"]
    event = pipeline.wait_for_status(event_id)

    assert (event["status"], event["status_reason"]) == ("succeeded", "refunded 50.00 USD")
    assert len(fake_wix.refunds) == 1

    wait_until(
        lambda: _notices(pipeline, event_id).get("booking_canceled", {}).get("status") == "failed",
        timeout=30,
        message=f"the cancellation email never failed: {pipeline.event(event_id)['notifications']}",
    )
    alerts = ops_hook.wait_for(3)
    failed = _notices(pipeline, event_id)["booking_canceled"]
    shown = _cli(pipeline, "events", "show", str(event_id))

    assert (failed["recipient_role"], failed["last_error"]) == ("host", "sender refused (554)")
    assert set(failed) == {
        "id", "channel", "kind", "recipient_role", "status", "attempts", "last_error",
        "created_at", "next_attempt_at", "sent_at",
    }  # fmt: skip
    assert all(a["text"].startswith("[notification.failed]") for a in alerts)
    assert f"{failed['id']} email booking_canceled to host: failed, 1 attempt(s)  sender refused (554)" in (
        shown.stdout
    )

    smtp_sink.refuse_all(None)
    replayed = pipeline.client.post(f"/admin/api/notifications/{failed['id']}/replay", headers=ADMIN)
    (message,) = smtp_sink.wait_for(1)
    wait_until(lambda: _notices(pipeline, event_id)["booking_canceled"]["status"] == "sent", timeout=30)
    again = pipeline.client.post(f"/admin/api/notifications/{failed['id']}/replay", headers=ADMIN)
    unknown = pipeline.client.post("/admin/api/notifications/999999/replay", headers=ADMIN)
    customer_id = _notices(pipeline, event_id)["refund_issued_customer"]["id"]
    cli = _cli(pipeline, "events", "replay-notification", str(customer_id), "--json")
    wait_until(lambda: len(smtp_sink.messages) == 2, timeout=30, message="the customer's email never went")

    assert (replayed.status_code, replayed.json) == (202, {"replayed": 1})
    assert message["Subject"].startswith("Booking canceled: Intro call")
    assert message["To"] == "dana@example.com"
    assert again.status_code == 409
    assert again.json["error"] == "not_replayable"
    assert unknown.status_code == 404
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == {"replayed": 1, "skipped": {}}
    assert [m["To"] for m in smtp_sink.messages] == ["dana@example.com", "lee@example.com"]
    assert len(fake_wix.requests_to(REFUND_PATH, "POST")) == 1
    assert pipeline.event(event_id)["status"] == "succeeded"


def test_created_and_confirmed_at_once_on_a_worker_with_two_processes_send_one_invitation(
    flow_pipeline, fake_wix: FakeWix, signed_event, smtp_sink
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="never")
    pipeline.start_worker(concurrency=2)
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])
    bookings = [fake_wix.add_booking(service["id"]) for _ in range(3)]

    ids = []
    for booking in bookings:
        for event_type, body, sequence in (
            (CREATED, {**booking, "revision": "1"}, 1),
            (CONFIRMED, {"booking": {**booking, "revision": "2"}}, 2),
        ):
            token = signed_event(event_type, entity_id=booking["id"], body=body, sequence=sequence)
            ids.append(pipeline.post(token).json["event_id"])
    events = [pipeline.wait_for_status(i) for i in ids]
    smtp_sink.wait_for(3)

    assert all(e["status"] in ("succeeded", "skipped") for e in events)
    assert len(smtp_sink.messages) == 3

    def all_sent() -> list[dict[str, Any]] | None:
        recorded = [n for e in ids for n in pipeline.event(e)["notifications"]]
        return recorded if recorded and all(n["status"] == "sent" for n in recorded) else None

    recorded = wait_until(all_sent, timeout=30, message="the invitations were not all sent")

    assert [n["kind"] for n in recorded] == ["booking_created"] * 3
    assert len(smtp_sink.messages) == 3
    assert (
        sorted(m["Subject"].split(" with ")[0] for m in smtp_sink.messages) == ["New booking: Intro call"] * 3
    )
