"""Wix's optimistic concurrency: a write at the current revision, re-read and re-decided on a 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import structlog

from processor.wix.errors import WixConflictError

log = structlog.get_logger(__name__)

T = TypeVar("T")
CONFLICT_RETRIES = 3


def at_current_revision(attempt: Callable[[], T], *, what: str, retries: int = CONFLICT_RETRIES) -> T:
    """Run `attempt` (read the entity, decide, write at the revision just read) until no 409.

    A 409 means the revision was stale, or a retried write had already landed: either way the
    next attempt re-reads and re-decides, and finds nothing to do when the state already holds.
    After `retries` conflicts in a row the last WixConflictError propagates (retry later).
    """
    for tries in range(retries + 1):
        try:
            return attempt()
        except WixConflictError:
            if tries == retries:
                raise
            log.info("wix.revision_conflict", what=what, attempt=tries + 1)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
