"""Ops alerts through a real webhook server: Slack JSON posted, each failure raised typed for the outbox."""

from __future__ import annotations

import pytest

from processor.config import Settings
from tests.fixtures.servers import free_port
from workers.notify.ops import OpsAlertError, OpsAlerts


def test_an_alert_is_posted_as_text_and_id_fields(ops_hook):
    alerts = OpsAlerts.from_settings(Settings(wix_public_keys=("unused",), ops_webhook_url=ops_hook.url))

    alerts.post("refund.failed", "Refund failed twice", {"booking_id": "bk-1", "event_id": "17"})

    (post,) = ops_hook.wait_for(1)
    assert post["text"] == "[refund.failed] Refund failed twice"
    assert post["attachments"][0]["fields"] == [
        {"title": "booking_id", "value": "bk-1", "short": True},
        {"title": "event_id", "value": "17", "short": True},
    ]


def test_an_alert_without_fields_is_text_only(ops_hook):
    OpsAlerts(ops_hook.url).post("sweep.stuck", "3 events stuck")

    (post,) = ops_hook.wait_for(1)
    assert post == {"text": "[sweep.stuck] 3 events stuck"}


def test_a_webhook_error_is_raised_with_its_status(ops_hook):
    ops_hook.status = 500

    with pytest.raises(OpsAlertError) as raised:
        OpsAlerts(ops_hook.url).post("link.deactivated", "x", {"service_id": "svc-1"})

    assert (raised.value.status, raised.value.error) == (500, None)


def test_an_unreachable_webhook_is_raised_by_the_errors_name():
    alerts = OpsAlerts(f"http://127.0.0.1:{free_port()}/hook")

    with pytest.raises(OpsAlertError) as raised:
        alerts.post("link.deactivated", "x", {"service_id": "svc-1"})

    assert (raised.value.status, raised.value.error) == (None, "ConnectError")


def test_without_a_webhook_nothing_is_posted_and_alerts_are_off():
    alerts = OpsAlerts(None)

    with pytest.raises(OpsAlertError, match="OPS_WEBHOOK_URL is not set"):
        alerts.post("calendar.broken", "Connection failed", {"connection_id": "c1"})
    assert alerts.enabled is False
