"""The purge as beat runs it: the settings' ages, a time budget under the task's limit, logged and counted."""

from __future__ import annotations

from datetime import timedelta

import structlog

from processor.retention_metrics import PURGED
from processor.store.retention import PurgeReport, RetentionPolicy, purge
from workers.wiring import Deps

log = structlog.get_logger(__name__)

# Well under the task's hard limit (processor.queue.TASK_TIME_LIMIT_SECONDS): what is left waits a run.
PURGE_BUDGET = timedelta(seconds=120)


def run_purge(deps: Deps) -> PurgeReport:
    """Delete events past RETENTION_DAYS or DEAD_RETENTION_DAYS; redact those past PAYLOAD_RETENTION_DAYS."""
    report = purge(deps.sessions, RetentionPolicy.from_settings(deps.settings), budget=PURGE_BUDGET)
    count_purged(report)
    log.info("purge.finished", **report.as_json())
    return report


def count_purged(report: PurgeReport) -> None:
    """Add a run's removals to `wix_store_purged_total`."""
    for status, count in report.deleted.items():
        PURGED.labels("events", status).inc(count)
    PURGED.labels("attempts", "").inc(report.attempts_deleted)
    PURGED.labels("notifications", "").inc(report.notifications_deleted)
    PURGED.labels("payloads_redacted", "").inc(report.payloads_redacted)
