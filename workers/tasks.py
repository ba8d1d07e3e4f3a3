"""Thin Celery tasks over plain functions; the store owns retries, so tasks never self.retry."""

from __future__ import annotations

from structlog.contextvars import bound_contextvars

from processor.queue import (
    CLAIM_BATCH,
    DELIVER_NOTIFICATIONS_TASK,
    PROCESS_EVENT_TASK,
    PROCESS_EVENTS_TASK,
    PURGE_TASK,
    SWEEP_TASK,
    WATCH_CALENDARS_TASK,
)
from workers import app, calendar_watcher, delivery, housekeeping, processing, recovery, wiring


@app.task(name=PROCESS_EVENT_TASK, acks_late=True, ignore_result=True)
def process_event(event_id: int) -> str | None:
    """Claim and process one stored event."""
    with bound_contextvars(event_id=event_id):
        return processing.run(int(event_id), wiring.deps(celery=app))


@app.task(name=PROCESS_EVENTS_TASK, acks_late=True, ignore_result=True)
def process_events(event_ids: list[int]) -> int:
    """A batch from the doorbell or the sweep: its events no flow handles are run here in one claim,
    the first event with a flow too, and each other one gets its own message, so parallel workers
    share the flows' work (ids beyond CLAIM_BATCH, which publishers never send, are passed on as a
    message of their own)."""
    ids = [int(event_id) for event_id in event_ids]
    head, tail = ids[:CLAIM_BATCH], ids[CLAIM_BATCH:]
    if tail:
        app.send_task(PROCESS_EVENTS_TASK, args=[tail])
    processing.run_batch(
        head, wiring.deps(celery=app), lambda event_id: app.send_task(PROCESS_EVENT_TASK, args=[event_id])
    )
    return len(head)


@app.task(name=DELIVER_NOTIFICATIONS_TASK, acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send stored notifications (emails, ops alerts) that are still pending, over one SMTP connection."""
    return delivery.deliver(wiring.deps(celery=app), [int(i) for i in notification_ids])


@app.task(name=SWEEP_TASK, ignore_result=True)
def sweep() -> int:
    """Re-send retries that are due and events that got stuck."""
    return len(recovery.sweep(wiring.deps(celery=app), app))


@app.task(name=WATCH_CALENDARS_TASK, ignore_result=True)
def watch_calendars() -> int:
    """Beat: send one `watch_calendar_site` task per installed site (workers share the round)."""
    return calendar_watcher.fan_out_site_polls(wiring.deps(celery=app), app)


@app.task(name=calendar_watcher.WATCH_CALENDAR_SITE_TASK, ignore_result=True)
def watch_calendar_site(instance_id: str) -> int:
    """Poll one site's calendar connections; each change becomes a stored, queued event."""
    with bound_contextvars(instance_id=instance_id):
        return len(calendar_watcher.watch_site(wiring.deps(celery=app), app, instance_id))


@app.task(name=PURGE_TASK, ignore_result=True)
def purge() -> int:
    """Delete events past their retention and redact old payloads, in short batches; how many deleted."""
    return housekeeping.run_purge(wiring.deps(celery=app)).events_deleted
