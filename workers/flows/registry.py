"""The flow registry: `@handles(event_type)` binds one plain function to each event type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Flow = Callable[..., "Outcome"]
_FLOWS: dict[str, Flow] = {}


@dataclass(frozen=True)
class Succeeded:
    """The flow did its work."""

    detail: str | None = None


@dataclass(frozen=True)
class Skipped:
    """Nothing to do (stale, out of order, not a Meetings booking, already done): why."""

    reason: str


Outcome = Succeeded | Skipped


class FlowError(Exception):
    """A flow could not finish; the subclass says whether to try again."""


class RetryLater(FlowError):
    """Transient: try again, no sooner than `retry_after` seconds when given."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(FlowError):
    """Trying again cannot help: the event goes to `dead` with this reason."""


def handles(*event_types: str) -> Callable[[Flow], Flow]:
    """Register the decorated function as the flow for `event_types`; a doubled type fails at import."""

    def register(flow: Flow) -> Flow:
        for event_type in event_types:
            if not event_type or event_type != event_type.strip():
                raise ValueError(f"bad event type {event_type!r} for {flow.__qualname__}")
            existing = _FLOWS.get(event_type)
            if existing is not None and existing is not flow:
                raise ValueError(
                    f"{event_type!r} already handled by {existing.__module__}.{existing.__qualname__}"
                )
            _FLOWS[event_type] = flow
        return flow

    return register


def flow_for(event_type: str) -> Flow | None:
    """The flow registered for `event_type`, if any."""
    return _FLOWS.get(event_type)


def registered_types() -> dict[str, str]:
    """Event type → flow name, for docs and `wix-meetings` introspection."""
    return {t: f"{f.__module__}.{f.__qualname__}" for t, f in sorted(_FLOWS.items())}
