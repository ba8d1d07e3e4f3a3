"""Follow-up flows: plain functions, one module per flow, registered with `@handles(event_type)`."""

from __future__ import annotations

import importlib

from workers.flows.registry import (
    FlowError,
    Outcome,
    PermanentFailure,
    RetryLater,
    Skipped,
    Succeeded,
    flow_for,
    handles,
    registered_types,
)

# Each module registers its flows at import; load_flows() imports them all once per worker.
FLOW_MODULES: tuple[str, ...] = (
    "workers.flows.cancellations",
    "workers.flows.booking_emails",
    "workers.flows.calendar_sync",
    "workers.flows.provisioning",
)


def load_flows() -> dict[str, str]:
    """Import every flow module; return the registry (event type → flow)."""
    for module in FLOW_MODULES:
        importlib.import_module(module)
    return registered_types()


__all__ = [
    "FLOW_MODULES",
    "FlowError",
    "Outcome",
    "PermanentFailure",
    "RetryLater",
    "Skipped",
    "Succeeded",
    "flow_for",
    "handles",
    "load_flows",
    "registered_types",
]
