"""Thin Celery tasks over plain functions; the store owns retries, so tasks never self.retry."""

from __future__ import annotations

from structlog.contextvars import bound_contextvars

from processor.queue import PROCESS_EVENT_TASK, SWEEP_TASK, WATCH_CALENDARS_TASK
from workers import app, calendar_watcher, processing, recovery, wiring


@app.task(name=PROCESS_EVENT_TASK, acks_late=True, ignore_result=True)
def process_event(event_id: int) -> str | None:
    """Claim and process one stored event."""
    with bound_contextvars(event_id=event_id):
        return processing.run(int(event_id), wiring.deps())


@app.task(name=SWEEP_TASK, ignore_result=True)
def sweep() -> int:
    """Re-send retries that are due and events that got stuck."""
    return len(recovery.sweep(wiring.deps(), app))


@app.task(name=WATCH_CALENDARS_TASK, ignore_result=True)
def watch_calendars() -> int:
    """Poll installed sites' calendar connections; each change becomes a stored, queued event."""
    return len(calendar_watcher.watch_calendars(wiring.deps(), app))
