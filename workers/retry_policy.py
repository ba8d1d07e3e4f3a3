"""What a failure means: try again later (when) or give up now (why); backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from processor.config import Settings
from processor.store.ledger import LedgerBusyError
from workers.flows.registry import PermanentFailure, RetryLater

RATE_LIMIT_MIN_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    """`retry_in` seconds, or None when the event is dead; `reason` for the attempt record."""

    retry_in: float | None
    reason: str

    @property
    def is_dead(self) -> bool:
        return self.retry_in is None


def backoff_seconds(failures: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Exponential in the number of failures so far, capped, with jitter in [50%, 100%]."""
    rng = rng or random.Random()
    ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** max(failures - 1, 0))
    return max(1.0, float(ceiling * rng.uniform(0.5, 1.0)))


def decide(
    exc: BaseException, *, failures: int, settings: Settings, rng: random.Random | None = None
) -> Decision:
    """Classify `exc` after `failures` failed attempts (this one included)."""
    reason = describe(exc)
    if is_permanent(exc):
        return Decision(None, reason)
    if failures >= settings.max_attempts:
        return Decision(None, f"gave up after {failures} attempts: {reason}")
    delay = backoff_seconds(failures, settings, rng)
    hint = retry_after_hint(exc)
    if hint is not None:
        delay = max(delay, hint)
    return Decision(delay, reason)


def is_permanent(exc: BaseException) -> bool:
    """Wix validation/permission/not-found/precondition errors, Wix not configured, PermanentFailure.

    Never an email's refusal: flows record notifications, and their delivery fails on its own."""
    from processor.wix.client import WixNotConfiguredError
    from processor.wix.errors import WixRejectedError

    permanent = (PermanentFailure, WixRejectedError, WixNotConfiguredError)
    return isinstance(exc, permanent)


def retry_after_hint(exc: BaseException) -> float | None:
    """The soonest a retry makes sense: Retry-After of a 429 (else at least 60 s), a flow's hint."""
    if isinstance(exc, RetryLater | LedgerBusyError):
        return exc.retry_after
    from processor.wix.errors import WixRateLimitedError

    if isinstance(exc, WixRateLimitedError):
        given = exc.retry_after
        return given if given is not None else RATE_LIMIT_MIN_WAIT_SECONDS + random.uniform(0, 15)
    return None


def describe(exc: BaseException) -> str:
    """A one-line reason for the attempt record; store errors are named, not dumped."""
    if isinstance(exc, OperationalError):
        return "store unavailable (OperationalError)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}"[:2000] if text else name
