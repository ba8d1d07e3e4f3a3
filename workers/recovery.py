"""The sweep: re-send due retries and events stuck in received, queued or processing, and the
notifications that are due (retries, fresh ones whose message was lost, claims of a dead worker)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import Celery

from processor.queue import publish
from processor.store import requeue
from workers import delivery
from workers.wiring import Deps

log = structlog.get_logger(__name__)


def sweep(deps: Deps, celery: Celery) -> list[int]:
    """Queue what is due; safe when two sweeps run at once (each event is won by one)."""
    settings = deps.settings
    with deps.sessions() as session:
        won = requeue.requeue_due(
            session,
            stuck_after=timedelta(seconds=settings.stuck_after_seconds),
            # `received` means not yet known to the broker: give the receiver's doorbell a moment.
            received_grace=timedelta(seconds=min(settings.sweep_interval_seconds, 30)),
            now=deps.clock(),
        )
    if won:
        published = publish(celery, won)
        log.info("sweep.requeued", count=len(won), published=len(published))
    delivery.requeue_due(deps, celery)
    return won
