"""Replay stored events: set them back to `queued` with a fresh attempt budget and publish them.

One code path for the CLI, the admin API and the console.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from processor.queue import MESSAGE_BATCH, publish
from processor.store import inbox


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
        marked = inbox.mark_for_replay(session, part, force=force)
        replayed.extend(marked)
        published += len(publish(celery, marked))
        if progress:
            progress(len(part))
    done = set(replayed)  # built once: rebuilt per id, 100k ids took hours
    skipped = [i for i in event_ids if i not in done]
    return ReplayResult(replayed, published, skipped)
