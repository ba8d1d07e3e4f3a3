"""Prometheus metrics of the receiver and the pipeline (multi-process aware under gunicorn)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
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
EVENTS_PROCESSED = Counter(
    "wix_events_processed_total",
    "Processing attempts finished, by event type and outcome.",
    ["event_type", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "wix_event_processing_seconds",
    "Time one processing attempt took, by event type.",
    ["event_type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class EventsByStatus(Collector):
    """`wix_events` gauge by status, read from the store at scrape time."""

    def __init__(self, count_by_status: Callable[[], dict[str, int]]) -> None:
        self._count = count_by_status

    def collect(self) -> Iterator[Any]:
        family = GaugeMetricFamily("wix_events", "Events in the store, by status.", labels=["status"])
        try:
            counts = self._count()
        except Exception:  # the store being down must not break /metrics
            counts = {}
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family


def render(count_by_status: Callable[[], dict[str, int]]) -> bytes:
    """The Prometheus text for /metrics: this process's (or all gunicorn workers') series + the store's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in (WEBHOOKS_RECEIVED, WEBHOOKS_REJECTED, DUPLICATES, EVENTS_PROCESSED):
            registry.register(_Forward(collector, REGISTRY))
        registry.register(_Forward(PROCESSING_SECONDS, REGISTRY))
    registry.register(EventsByStatus(count_by_status))
    return generate_latest(registry)


class _Forward(Collector):
    def __init__(self, metric: Any, _registry: Any) -> None:
        self._metric = metric

    def collect(self) -> Iterator[Any]:
        yield from self._metric.collect()
