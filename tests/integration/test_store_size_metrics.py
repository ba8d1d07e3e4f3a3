"""/metrics shows the store's size: rows per table and the age of the oldest kept event, on both stores."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from processor.retention_metrics import PURGED
from processor.store.retention import PurgeReport
from tests.support.stored_events import store_event
from workers.housekeeping import count_purged


@pytest.fixture(params=["sqlite", "postgres"])
def receiver(request, make_pipeline):
    """The receiver on each store backend, broker embedded."""
    return make_pipeline(store=request.param, broker="embedded")


def _gauge(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", metrics, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_metrics_show_rows_per_table_and_the_oldest_kept_events_age(receiver):
    store_event(receiver.sessions, "old", "succeeded", 3)
    store_event(receiver.sessions, "new", "queued", 0)
    if receiver.engine.dialect.name == "postgresql":
        with receiver.engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # the estimate /metrics reads there

    metrics = receiver.client.get("/metrics").get_data(as_text=True)

    assert _gauge(metrics, 'wix_store_rows{table="events"}') == 2
    assert _gauge(metrics, 'wix_store_rows{table="notifications"}') == 2
    assert _gauge(metrics, 'wix_store_rows{table="ledger"}') == 0
    assert 3 * 86400 - 60 < _gauge(metrics, "wix_store_oldest_event_age_seconds") < 3 * 86400 + 60


def test_an_empty_store_has_no_oldest_event():
    from datetime import UTC, datetime

    from processor.retention_metrics import StoreSize, StoreSizeMetrics

    (_rows, age) = StoreSizeMetrics(lambda: StoreSize({"events": 0}, None, datetime.now(UTC))).collect()

    assert age.samples[0].value == 0


def test_a_purge_run_is_counted_by_table_and_status():
    before = PURGED.labels("events", "dead")._value.get()

    count_purged(PurgeReport(deleted={"dead": 3}, attempts_deleted=4))

    assert PURGED.labels("events", "dead")._value.get() == before + 3
