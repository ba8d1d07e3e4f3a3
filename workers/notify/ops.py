"""Ops alerts: one structured log line always, and a Slack-compatible webhook post when set.

Callers pass ids only (event, booking, service, connection ids, statuses) in `fields`:
never names, email addresses or phone numbers. Alerts land in a shared channel and in logs.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import structlog

from processor.config import Settings

log = structlog.get_logger(__name__)

OPS_TIMEOUT_SECONDS = 5.0


class OpsAlerts:
    """Posts alerts to OPS_WEBHOOK_URL; a failing webhook is logged, never raised (callers need no try)."""

    def __init__(
        self,
        webhook_url: str | None,
        *,
        timeout: float = OPS_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.webhook_url = webhook_url
        self.timeout = timeout
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> OpsAlerts:
        """Alerts to the settings' webhook (log only when OPS_WEBHOOK_URL is unset)."""
        return cls(settings.ops_webhook_url)

    def alert(self, kind: str, text: str, fields: Mapping[str, str] | None = None) -> bool:
        """Log `ops.alert` and post it; True when the webhook accepted it. Fields: ids only."""
        fields = {str(key): str(value) for key, value in (fields or {}).items()}
        log.warning("ops.alert", kind=kind, text=text, fields=fields)
        if not self.webhook_url:
            return False
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(self.webhook_url, json=payload(kind, text, fields))
                response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            log.error("ops.alert_failed", kind=kind, status=exc.response.status_code)
            return False
        except Exception as exc:  # any failure: an alert must never fail the flow that raised it
            log.error("ops.alert_failed", kind=kind, error=type(exc).__name__)
            return False
        return True


def payload(kind: str, text: str, fields: Mapping[str, str]) -> dict[str, object]:
    """Slack incoming-webhook JSON: `text`, plus one attachment with the fields."""
    body: dict[str, object] = {"text": f"[{kind}] {text}"}
    if fields:
        body["attachments"] = [
            {
                "fallback": ", ".join(f"{key}={value}" for key, value in fields.items()),
                "fields": [{"title": key, "value": value, "short": True} for key, value in fields.items()],
            }
        ]
    return body
