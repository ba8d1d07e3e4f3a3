"""Prometheus metrics of the receiver and the pipeline (multi-process aware under gunicorn)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

WEBHOOKS_RECEIVED = Counter(
    "wix_webhooks_received_total",
    "Webhooks stored, by event type and answer (accepted or duplicate).",
    ["event_type", "outcome"],
)
WEBHOOKS_REJECTED = Counter(
    "wix_webhooks_rejected_total",
    "Webhooks refused before storing, by reason.",
    ["reason"],
)
DUPLICATES = Counter("wix_webhook_duplicates_total", "Deliveries of an event already stored.")

RECENT_WINDOW_SECONDS = 900


class StoreMetrics(Collector):
    """Gauges read from the store at scrape time, so worker-side numbers need no worker endpoint."""

    def __init__(self, read: Callable[[], StoreSnapshot]) -> None:
        self._read = read

    def collect(self) -> Iterator[Any]:
        try:
            snapshot = self._read()
        except Exception:  # the store being down must not break /metrics
            snapshot = StoreSnapshot({}, {}, {})
        by_status = GaugeMetricFamily("wix_events", "Events in the store, by status.", labels=["status"])
        for status, count in sorted(snapshot.by_status.items()):
            by_status.add_metric([status], count)
        yield by_status
        by_type = GaugeMetricFamily(
            "wix_events_by_type",
            "Events in the store, by event type and status.",
            labels=["event_type", "status"],
        )
        for (event_type, status), count in sorted(snapshot.by_type.items()):
            by_type.add_metric([event_type, status], count)
        yield by_type
        durations = SummaryMetricFamily(
            "wix_event_processing_seconds",
            f"Processing attempts finished in the last {RECENT_WINDOW_SECONDS} s: count and total seconds.",
            labels=["event_type", "outcome"],
        )
        for (event_type, outcome), (count, total) in sorted(snapshot.recent_attempts.items()):
            durations.add_metric([event_type, outcome], count_value=count, sum_value=total)
        yield durations


@dataclass(frozen=True)
class StoreSnapshot:
    """What /metrics reads from the store."""

    by_status: dict[str, int]
    by_type: dict[tuple[str, str], int]
    recent_attempts: dict[tuple[str, str], tuple[int, float]]


def render(read_store: Callable[[], StoreSnapshot]) -> bytes:
    """The Prometheus text for /metrics: this process's (or all gunicorn workers') series + the store's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in (WEBHOOKS_RECEIVED, WEBHOOKS_REJECTED, DUPLICATES):
            registry.register(_Forward(collector, REGISTRY))
    registry.register(StoreMetrics(read_store))
    return generate_latest(registry)


class _Forward(Collector):
    def __init__(self, metric: Any, _registry: Any) -> None:
        self._metric = metric

    def collect(self) -> Iterator[Any]:
        yield from self._metric.collect()
