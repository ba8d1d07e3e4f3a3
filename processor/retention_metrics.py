"""The purge's counter and the store's size on /metrics: rows per table, age of the oldest kept event."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PURGED = Counter(
    "wix_store_purged_total",
    "Rows the purge removed (events by status, their attempts and notifications) or redacted (payloads).",
    ["table", "status"],
)


@dataclass(frozen=True)
class StoreSize:
    """Rows per table, and when the oldest kept event arrived (None: no events)."""

    rows: dict[str, int]
    oldest_event_at: datetime | None
    now: datetime


class StoreSizeMetrics(Collector):
    """Read at scrape time; a store that does not answer leaves these gauges out."""

    def __init__(self, read: Callable[[], StoreSize]) -> None:
        self._read = read

    def collect(self) -> Iterator[Any]:
        try:
            size = self._read()
        except Exception:  # the store being down must not break /metrics
            return
        rows = GaugeMetricFamily(
            "wix_store_rows", "Rows per store table (an estimate on PostgreSQL).", labels=["table"]
        )
        for table, count in sorted(size.rows.items()):
            rows.add_metric([table], count)
        yield rows
        age = 0.0 if size.oldest_event_at is None else (size.now - size.oldest_event_at).total_seconds()
        yield GaugeMetricFamily(
            "wix_store_oldest_event_age_seconds",
            "Age of the oldest event kept in the store (0 when there is none).",
            value=max(age, 0.0),
        )


def render(read: Callable[[], StoreSize]) -> bytes:
    """These series as Prometheus text, appended to /metrics (the purge counter once, multi-process aware)."""
    registry = CollectorRegistry()
    registry.register(StoreSizeMetrics(read))
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # else the multi-process collector has it
        registry.register(_Purged())
    return generate_latest(registry)


class _Purged(Collector):
    def collect(self) -> Iterator[Any]:
        yield from PURGED.collect()
