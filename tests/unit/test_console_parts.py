"""The console's plain parts: error grouping, the chart's geometry, ledger entries in words, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from processor import event_filters
from processor.store.attention import normalise_error
from processor.store.models import LedgerEntry
from processor.web.console.chart import build_chart
from processor.web.console.effects import describe

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def _entry(key: str, result: dict | None = None) -> LedgerEntry:
    return LedgerEntry(key=key, state="done", created_at=NOW, finished_at=NOW, event_id=1, result=result)


def test_errors_that_differ_only_in_ids_and_numbers_are_one_group():
    first = normalise_error(
        "WixNotFoundError: HTTP 404 booking 3f1c2d4e-1111-4a2b-9c3d-0123456789ab not found"
    )
    second = normalise_error(
        "WixNotFoundError: HTTP 404 booking 9a8b7c6d-2222-4a2b-9c3d-ba9876543210 not found"
    )
    token = normalise_error("connection R09PR0xFOmJjNmU1NTE1LTc1Yjkt missing after 12 polls")

    assert first == second == "WixNotFoundError: HTTP <n> booking <id> not found"
    assert token == "connection <id> missing after <n> polls"
    assert normalise_error(None) == "(no error text)"


def test_the_chart_stacks_each_bucket_and_scales_to_a_round_peak():
    since = NOW - timedelta(hours=24)
    series = {"succeeded": [(since, 50)], "dead": [(since, 20)], "failed": [(NOW - timedelta(minutes=5), 5)]}

    chart = build_chart(series, since=since)

    first_bucket = [b for b in chart.bars if b.x < 60]
    assert [b.status for b in first_bucket] == ["succeeded", "dead"]
    assert first_bucket[1].y + first_bucket[1].height == pytest.approx(first_bucket[0].y)
    assert chart.peak_per_minute == 7.0
    assert chart.y_labels[0].text == "10"
    assert chart.total == 75
    assert chart.statuses == ["succeeded", "failed", "dead"]


def test_ledger_entries_read_as_what_the_event_did():
    refund = describe(
        _entry("refund:b-1", {"order_id": "o-1", "refund_id": "r-9", "amount": "50.00", "currency": "USD"})
    )
    email = describe(_entry("email:b-1:refund_issued_customer:2"))
    link = describe(
        _entry("link:s-1:deactivate:7", {"service_name": "Intro call", "revision": 4, "changed": True})
    )
    alert = describe(_entry("ops:link_deactivated:7"))

    assert (refund.kind, refund.title) == ("refund", "Refund 50.00 USD")
    assert ("Wix refund id", "r-9") in refund.details
    assert (email.title, ("revision", "2") in email.details) == ("Email: refund issued customer", True)
    assert (link.title, ("revision", "4") in link.details) == ("Link turned off: Intro call", True)
    assert alert.title == "Ops alert: link.deactivated"


def test_the_filter_takes_several_statuses_and_refuses_unknown_words():
    where = event_filters.make_filter(
        status=None, statuses=["dead", "failed", "dead"], event_type=None, since="2h", source="watcher"
    )

    assert where.statuses == ("dead", "failed")
    assert where.source == "watcher"
    with pytest.raises(event_filters.BadFilterError, match="unknown status"):
        event_filters.make_filter(status=None, statuses=["dead", "nope"], event_type=None, since=None)
    with pytest.raises(event_filters.BadFilterError, match="unknown source"):
        event_filters.make_filter(status=None, event_type=None, since=None, source="zapier")
