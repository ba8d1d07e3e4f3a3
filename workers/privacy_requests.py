"""Events Wix marks `triggeredByAnonymizeRequest`: processed like any other, then the entity's data erased.

The flow runs as usual but its outbox records no email (a privacy request is nobody's news); after
it, the entity's personal data leaves every stored payload and undelivered notification
(`processor.store.privacy`). A failed erasure fails the attempt, which is retried like any other:
the erasure is idempotent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from processor.store import privacy
from processor.store.models import EventStatus
from processor.wix_event import WixEvent
from workers import retry_policy

if TYPE_CHECKING:
    from workers.wiring import Deps

log = structlog.get_logger(__name__)

Dispatched = tuple[EventStatus, str, str | None, datetime | None]


def subject_of(event: WixEvent) -> privacy.Subject | None:
    """The entity the request anonymised: a booking, a contact, or another Wix entity by id."""
    if not event.entity_id:
        return None
    fqdn = str(event.data.get("entityFqdn") or "")
    if ".contacts." in fqdn or fqdn.endswith(".contact"):
        return privacy.Subject("contact", event.entity_id)
    if ".bookings." in fqdn:
        return privacy.Subject("booking", event.entity_id)
    return privacy.Subject("entity", event.entity_id)


def honour(
    event: WixEvent, event_id: int, deps: Deps, dispatched: Dispatched, failures_before: int
) -> Dispatched:
    """After the flow: erase the entity's data when the event asks for it; the attempt's outcome otherwise."""
    if not event.anonymize_request:
        return dispatched
    subject = subject_of(event)
    if subject is None:
        return dispatched
    status, outcome, reason, next_at = dispatched
    try:
        report = privacy.erase(deps.sessions, subject, requested_by="wix_event", event_id=event_id)
    except Exception as exc:  # the store failed us: try again, like a failed flow
        decision = retry_policy.decide(exc, failures=failures_before + 1, settings=deps.settings)
        log.warning("privacy.erase_failed", error=decision.reason)
        if decision.retry_in is None:
            return EventStatus.DEAD, "dead", f"privacy erasure: {decision.reason}", None
        retry_at = deps.clock() + timedelta(seconds=decision.retry_in)
        return EventStatus.FAILED, "failed", f"privacy erasure: {decision.reason}", retry_at
    log.info(
        "privacy.erased",
        subject_kind=subject.kind,
        erasure_id=report.erasure_id,
        events=report.events_redacted,
        notifications=report.notifications_cleared,
    )
    note = (
        f"personal data erased (privacy request {report.erasure_id}): "
        f"{report.events_redacted} event(s), {report.notifications_cleared} notification(s)"
    )
    return status, outcome, f"{reason}; {note}" if reason else note, next_at
