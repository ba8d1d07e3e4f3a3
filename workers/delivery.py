"""Delivery of recorded notifications: claim a batch, send and mark each, with their own retries.

Flows record emails and ops alerts in the outbox (processor/store/notifications.py). The first try of
each is made by the worker that ran the attempt, right after it wrote the event's outcome
(`deliver_recorded`), so an SMTP outage or a refused message never blocks or undoes a refund or a
link change; a retry is the `deliver_notifications` task's, which the sweep publishes when it is due
(and for a try lost with its worker). A failure is retried with the events' backoff until
NOTIFY_MAX_ATTEMPTS; a refused message (SMTP 5xx, a message that cannot be built) fails at once.
A notification that ends `failed` records one ops alert (`notification.failed`); an alert that
fails in turn is only logged.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from datetime import timedelta

import structlog
from celery import Celery
from structlog.contextvars import bound_contextvars

from processor.queue import publish_notifications
from processor.store import notifications
from processor.store.notifications import Claimed
from workers.flows.shared import Outbox
from workers.notify.email import MailSession, NotifyError, NotifyRejectedError, NotifyUnavailableError
from workers.notify.ops import OpsAlertError
from workers.notify.spec import spec_from_json
from workers.retry_policy import backoff_seconds
from workers.wiring import Deps

log = structlog.get_logger(__name__)


def deliver(deps: Deps, notification_ids: Sequence[int]) -> dict[str, int]:
    """Send the given notifications that are still pending, over one SMTP connection; count outcomes.

    They are claimed together (one statement), then sent and marked one by one. When the SMTP server
    is unreachable, the rest of the batch is not tried now (each would wait for its own timeout): it
    goes back to `pending`, due after one backoff, for the sweep."""
    claimed = notifications.claim_many(deps.sessions, notification_ids, now=deps.clock())
    missed = len(set(notification_ids)) - len(claimed)  # another run's, or finished
    counts: Counter[str] = Counter({"not_claimed": missed} if missed else {})
    queue = deque(claimed)
    with deps.mailer().session() as mail:
        while queue:
            one = queue.popleft()
            with bound_contextvars(notification_id=one.id, event_id=one.event_id, kind=one.kind):
                outcome, alert_id, server_down = _deliver_one(deps, mail, one)
            counts[outcome] += 1
            if alert_id is not None:  # tell ops in this same run
                alert = notifications.claim(deps.sessions, alert_id, now=deps.clock())
                if alert is None:
                    counts["not_claimed"] += 1
                else:
                    queue.append(alert)
            if server_down and queue:
                now = deps.clock()
                later = now + timedelta(seconds=backoff_seconds(1, deps.settings))
                notifications.unclaim(deps.sessions, list(queue), due_at=later, now=now)
                counts["deferred"] += len(queue)
                break
    return dict(counts)


def deliver_recorded(deps: Deps, event_id: int) -> dict[str, int]:
    """After an attempt of the event, its outcome written: send what the attempt recorded, now,
    instead of a `deliver_notifications` message per attempt (a task of its own costs the worker
    more CPU than the three emails, and waits behind every queued event: bench/README.md). In the
    Celery worker the ids go to its courier's threads (workers/courier.py), so this thread takes the
    next event at once; elsewhere, or when the courier says no, they are sent here, over one SMTP
    connection. What fails is retried by the sweep's tasks; what is not reached (the worker dies,
    the store fails) is still `pending` or a stale `sending` claim, for the sweep."""
    outbox = deps.take_outbox(event_id)
    if outbox is None or not outbox.recorded:
        return {}
    if deps.courier is not None and deps.courier.hand(outbox.recorded):
        return {"handed": len(outbox.recorded)}
    try:
        return deliver(deps, outbox.recorded)
    except Exception as exc:  # the store failed: what is not sent stays in the outbox for the sweep
        log.warning("notifications.delivery_failed", event_id=event_id, error=type(exc).__name__)
        return {}


def requeue_due(deps: Deps, celery: Celery) -> list[int]:
    """The sweep's part: publish due retries, fresh ones whose message was lost, stale claims."""
    now, settings = deps.clock(), deps.settings
    lease = timedelta(seconds=settings.stuck_after_seconds)
    leased = notifications.lease_due(deps.sessions, now=now, lease=lease, stale_after=lease)
    if not leased:
        return []
    published = publish_notifications(celery, leased)
    missed = sorted(set(leased) - set(published))
    if missed:  # no broker message: due again now, for the next sweep
        notifications.unlease(deps.sessions, missed, now=now)
    log.info("notifications.published", count=len(published), missed=len(missed))
    return published


def _deliver_one(deps: Deps, mail: MailSession, claimed: Claimed) -> tuple[str, int | None, bool]:
    """Send one claimed notification and mark it: (outcome, id of an ops alert to send now, whether
    the SMTP server itself is unreachable)."""
    try:
        skipped = _send(deps, mail, claimed)
    except NotifyRejectedError as exc:
        return (*_failed(deps, claimed, str(exc), final=True), False)
    except NotifyUnavailableError as exc:
        down = mail.connection is not None and mail.connection.unreachable
        return (*_failed(deps, claimed, str(exc), final=False), down)
    except (NotifyError, OpsAlertError) as exc:
        return (*_failed(deps, claimed, str(exc), final=False), False)
    except Exception as exc:  # a bug or the store: this notification's failure, named not dumped
        return (*_failed(deps, claimed, f"{type(exc).__name__} while sending", final=False), False)
    if skipped is not None:
        notifications.mark_skipped(deps.sessions, claimed, reason=skipped, now=deps.clock())
        log.info("notification.skipped", reason=skipped)
        return "skipped", None, False
    notifications.mark_sent(deps.sessions, claimed, now=deps.clock())
    log.info("notification.sent", attempts=claimed.attempts, booking_id=claimed.booking_id)
    return "sent", None, False


def _send(deps: Deps, mail: MailSession, claimed: Claimed) -> str | None:
    """Send it; the reason when there was nothing to send after all, else None."""
    message = claimed.message
    if message is None:
        raise NotifyRejectedError("no stored message to send")
    if claimed.channel == "ops":
        ops = deps.ops()
        if not ops.enabled:
            return "OPS_WEBHOOK_URL unset: logged only"
        ops.post(str(message["kind"]), str(message["text"]), message.get("fields") or {})
        return None
    try:
        spec = spec_from_json(message)
    except (KeyError, TypeError, ValueError) as exc:
        raise NotifyRejectedError(f"stored message unreadable ({type(exc).__name__})") from None
    if not mail.send(spec, log_sent=False):  # one line per email: `notification.sent`
        return "email off (SMTP_URL unset)" if not deps.mailer().enabled else "no recipient address"
    return None


def _failed(deps: Deps, claimed: Claimed, error: str, *, final: bool) -> tuple[str, int | None]:
    settings, now = deps.settings, deps.clock()
    if not final and claimed.attempts < settings.notify_max_attempts:
        retry_at = now + timedelta(seconds=backoff_seconds(claimed.attempts, settings))
        notifications.mark_retry(deps.sessions, claimed, error=error, next_attempt_at=retry_at, now=now)
        log.warning(
            "notification.retry", error=error, attempts=claimed.attempts, next_attempt_at=str(retry_at)
        )
        return "retry", None
    if not notifications.mark_failed(deps.sessions, claimed, error=error, now=now):
        return "failed", None  # a stale claim: the run that took it over decides
    log.error("notification.failed", error=error, attempts=claimed.attempts)
    if claimed.channel == "ops":
        return "failed", None  # an alert about an alert would fail the same way: the log line stays
    outbox = Outbox(deps.sessions, claimed.event_id, mailer=deps.mailer(), ops=deps.ops(), clock=deps.clock)
    fields = {
        "notification_id": str(claimed.id),
        "event_id": str(claimed.event_id),
        "kind": claimed.kind,
        "recipient_role": claimed.recipient_role,
        "booking_id": claimed.booking_id or "-",
    }
    text = (
        f"Notification {claimed.id} ({claimed.kind} to the {claimed.recipient_role}) failed after "
        f"{claimed.attempts} attempt(s): {error}. `wix-meetings events replay-notification "
        f"{claimed.id}` sends it again"
    )
    alert = outbox.alert(f"ops:notification_failed:{claimed.id}", "notification.failed", text, fields)
    return "failed", alert.id if alert.id in outbox.recorded else None
