"""Ops alerts through a real webhook server: Slack JSON posted, failures logged, never raised."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from processor.config import Settings
from tests.fixtures.servers import free_port
from workers.notify import ops
from workers.notify.ops import OpsAlerts


@pytest.fixture
def logs(monkeypatch):
    """Log entries of workers.notify.ops (a fresh logger, so cached configuration can't hide them)."""
    with capture_logs() as captured:
        monkeypatch.setattr(ops, "log", structlog.get_logger())
        yield captured


def test_alert_posts_text_and_id_fields(ops_hook, logs):
    alerts = OpsAlerts.from_settings(Settings(wix_public_keys=("unused",), ops_webhook_url=ops_hook.url))

    delivered = alerts.alert("refund.failed", "Refund failed twice", {"booking_id": "bk-1", "event_id": "17"})

    (post,) = ops_hook.wait_for(1)
    assert delivered is True
    assert post["text"] == "[refund.failed] Refund failed twice"
    assert post["attachments"][0]["fields"] == [
        {"title": "booking_id", "value": "bk-1", "short": True},
        {"title": "event_id", "value": "17", "short": True},
    ]
    assert logs[0]["event"] == "ops.alert"
    assert logs[0]["kind"] == "refund.failed"
    assert logs[0]["fields"] == {"booking_id": "bk-1", "event_id": "17"}


def test_alert_without_fields_is_text_only(ops_hook):
    OpsAlerts(ops_hook.url).alert("sweep.stuck", "3 events stuck")

    (post,) = ops_hook.wait_for(1)
    assert post == {"text": "[sweep.stuck] 3 events stuck"}


def test_webhook_error_is_logged_not_raised(ops_hook, logs):
    ops_hook.status = 500

    delivered = OpsAlerts(ops_hook.url).alert("link.deactivated", "x", {"service_id": "svc-1"})

    assert delivered is False
    assert [entry["event"] for entry in logs] == ["ops.alert", "ops.alert_failed"]
    assert logs[1]["status"] == 500


def test_unreachable_webhook_is_logged_not_raised(logs):
    alerts = OpsAlerts(f"http://127.0.0.1:{free_port()}/hook")

    delivered = alerts.alert("link.deactivated", "x", {"service_id": "svc-1"})

    assert delivered is False
    assert logs[-1] == {
        "event": "ops.alert_failed",
        "kind": "link.deactivated",
        "error": "ConnectError",
        "log_level": "error",
    }


def test_without_webhook_the_alert_is_still_logged(logs):
    delivered = OpsAlerts(None).alert("calendar.broken", "Connection failed", {"connection_id": "c1"})

    assert delivered is False
    assert logs == [
        {
            "event": "ops.alert",
            "kind": "calendar.broken",
            "text": "Connection failed",
            "fields": {"connection_id": "c1"},
            "log_level": "warning",
        }
    ]
