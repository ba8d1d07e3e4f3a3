"""Sizes and bounds of each part (full: `make bench-processing`, ~5 min; `--quick`: ~2 min), targets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How much each part sends and how long it may take; a part stops at its bound, finished or not."""

    drain_events: int = 3000
    drain_seconds: float = 60.0  # bound of the drain itself, after the worker is ready
    cpu_sites: int = 120
    cpu_bookings: int = 120  # drained to the last email: the worker's CPU over them
    cpu_seconds: float = 100.0
    refund_sites: int = 300
    refund_bookings: int = 900
    refund_seconds: float = 30.0
    latency_ms: float = 100.0  # every Wix call of the refund parts is answered after this
    window_bookings: int = 1200
    window_seconds: float = 120.0  # refunds to one site under 8 worker processes
    window_processes: int = 8
    pace_per_second: float = 50.0
    pace_seconds: float = 20.0
    settle_seconds: float = 20.0  # after the events: emails still leaving, the pace's stragglers


FULL = Sizes()
QUICK = Sizes(
    drain_events=1000,
    drain_seconds=25.0,
    cpu_sites=40,
    cpu_bookings=40,
    cpu_seconds=40.0,
    refund_bookings=300,
    refund_seconds=20.0,
    window_bookings=400,
    window_seconds=30.0,
    pace_seconds=8.0,
    settle_seconds=10.0,
)

# The targets (issue 11, "What it must reach").
DRAIN_PG_TARGET = 1000.0  # events/s
DRAIN_SQLITE_TARGET = 300.0
CPU_PER_FLOW_TARGET_MS = 20.0
FLOWS_PER_SECOND_TARGET = 25.0
RSS_TARGET_MIB = 400.0
WIX_LIMIT_PER_MINUTE = 200
WIX_BURST = 10
LATENCY_P50_TARGET_MS = 20.0
LATENCY_P99_TARGET_MS = 100.0

# What every product process gets on top of the stack's URLs and keys; the rest are the product's
# defaults. No calendar watcher: its Wix calls would count in the per-site window.
PRODUCT_SETTINGS = {
    "LOG_FORMAT": "json",
    "CALENDAR_POLL_SECONDS": "0",
    "NOTIFY_FROM": "meetings@bench.test",
}
