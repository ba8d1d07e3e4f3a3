"""Replay stored events (back to `queued` with a fresh attempt budget) and failed notifications
(back to `pending` with a fresh attempt budget), and publish them.

One code path for the CLI, the admin API and the console. A replayed event re-runs its flow: the
ledger still prevents a second refund or link change, notifications already sent are not sent
again, and a failed one under the same key is re-armed and sent once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from processor.queue import MESSAGE_BATCH, publish, publish_notifications
from processor.store import notifications, requeue
from processor.store.db import Sessions, session_scope, utcnow


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did: ids set back to queued, and how many the broker took at once."""

    replayed: list[int]
    published: int
    skipped: list[int]


def replay(
    session: Session,
    celery: Celery,
    event_ids: Sequence[int],
    *,
    force: bool = False,
    progress: Callable[[int], Any] | None = None,
    chunk: int = MESSAGE_BATCH,  # one UPDATE and one broker message per chunk
) -> ReplayResult:
    """Re-enqueue events (succeeded ones only with `force`); unpublished ones the sweep re-sends."""
    replayed: list[int] = []
    published = 0
    for start in range(0, len(event_ids), chunk):
        part = list(event_ids[start : start + chunk])
        marked = requeue.mark_for_replay(session, part, force=force)
        replayed.extend(marked)
        published += len(publish(celery, marked))
        if progress:
            progress(len(part))
    done = set(replayed)  # built once: rebuilt per id, 100k ids took hours
    skipped = [i for i in event_ids if i not in done]
    return ReplayResult(replayed, published, skipped)


@dataclass(frozen=True)
class NotificationReplay:
    """What replaying one notification did: re-armed and sent to a worker, or why not (its status)."""

    notification_id: int
    status: str
    replayed: bool
    published: bool


def replay_notification(
    sessions: Sessions, celery: Celery, notification_id: int, *, lease: timedelta
) -> NotificationReplay | None:
    """A `failed` notification back to `pending` with a fresh budget, and published; None if unknown."""
    now = utcnow()
    with session_scope(sessions) as session:
        row = notifications.get(session, notification_id)
        if row is None:
            return None
        status = row.status
    if not notifications.rearm(sessions, notification_id, now=now):
        return NotificationReplay(notification_id, status, replayed=False, published=False)
    leased = notifications.lease_due(sessions, now=now, lease=lease, stale_after=lease, ids=[notification_id])
    published = publish_notifications(celery, leased) if leased else []
    if leased and not published:
        notifications.unlease(sessions, leased, now=now)  # the sweep sends it
    return NotificationReplay(notification_id, "pending", replayed=True, published=bool(published))
