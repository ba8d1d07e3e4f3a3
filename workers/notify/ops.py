"""Ops alerts: a Slack-compatible webhook post (the outbox logs each alert when it is raised).

Callers pass ids only (event, booking, service, connection ids, statuses) in `fields`:
never names, email addresses or phone numbers. Alerts land in a shared channel and in logs.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from processor.config import Settings

OPS_TIMEOUT_SECONDS = 5.0


class OpsAlertError(Exception):
    """The ops webhook did not take an alert: its HTTP status, or the error's name (never the text)."""

    def __init__(self, reason: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error


class OpsAlerts:
    """Posts alerts to OPS_WEBHOOK_URL: `post` raises OpsAlertError, and the outbox's delivery retries
    it (every alert is recorded in the outbox first: workers/flows/shared.py, `Outbox.alert`)."""

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

    @property
    def enabled(self) -> bool:
        """True when OPS_WEBHOOK_URL is set (else alerts are log lines only)."""
        return bool(self.webhook_url)

    def post(self, kind: str, text: str, fields: Mapping[str, str] | None = None) -> None:
        """Post one alert to the webhook, or raise OpsAlertError (no log line: the outbox wrote
        `ops.alert` when the alert was raised)."""
        if not self.webhook_url:
            raise OpsAlertError("OPS_WEBHOOK_URL is not set")
        fields = {str(key): str(value) for key, value in (fields or {}).items()}
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(self.webhook_url, json=payload(kind, text, fields))
                response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise OpsAlertError(f"ops webhook answered {status}", status=status) from None
        except Exception as exc:  # any failure is this alert's, typed for the caller
            name = type(exc).__name__
            raise OpsAlertError(f"ops webhook unreachable ({name})", error=name) from None


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
