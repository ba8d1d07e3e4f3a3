"""POST /webhooks/wix: verify, store, ring the doorbell, answer 200 fast."""

from __future__ import annotations

import structlog
from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from processor.events import InvalidSignatureError, MalformedEventError, decode_webhook
from processor.metrics import DUPLICATES, WEBHOOKS_RECEIVED, WEBHOOKS_REJECTED
from processor.web.context import current_doorbell, current_settings, public_keys

bp = Blueprint("webhooks", __name__)
log = structlog.get_logger(__name__)


@bp.post("/webhooks/wix")
def receive_webhook() -> ResponseReturnValue:
    """Accept one Wix webhook; 200 only once the event is in the store."""
    raw = request.get_data(cache=False, as_text=False, parse_form_data=False)  # 413 past the limit
    if len(raw) > current_settings().webhook_max_bytes:  # a chunked body with no Content-Length
        raise RequestEntityTooLarge()
    try:
        event = decode_webhook(raw, public_keys(), leeway_seconds=current_settings().jwt_leeway_seconds)
    except InvalidSignatureError as exc:
        return _rejected("invalid_signature", exc.reason, 401)
    except MalformedEventError as exc:
        return _rejected("malformed_event", exc.reason, 400)
    event_id, is_new = current_app.extensions["record_received"](event)  # committed on return
    if is_new:
        current_doorbell().ring(event_id)  # after the commit, never before
        WEBHOOKS_RECEIVED.labels(event.event_type, "accepted").inc()
        log.info(
            "webhook.accepted",
            event_id=event_id,
            event_type=event.event_type,
            jwt_lifetime_seconds=event.token_lifetime_seconds,  # "token…" keys are redacted
        )
        return {"status": "accepted", "event_id": event_id}
    DUPLICATES.inc()
    WEBHOOKS_RECEIVED.labels(event.event_type, "duplicate").inc()
    log.info("webhook.duplicate", event_id=event_id, event_type=event.event_type)
    return {"status": "duplicate", "event_id": event_id}


def _rejected(error: str, reason: str, status: int) -> ResponseReturnValue:
    WEBHOOKS_REJECTED.labels(error).inc()
    log.warning("webhook.rejected", error=error, reason=reason, remote=request.remote_addr)
    return {"error": error, "reason": reason}, status
