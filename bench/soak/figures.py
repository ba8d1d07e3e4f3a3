"""The load figures: accepted events and refunds per second, receive to done, faults, dead events, alerts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bench.soak.config import TERMINAL
from bench.soak.verdict import MAX_LISTED, Check, Inputs, percentile


def load(inputs: Inputs) -> list[Check]:
    tally, truth, timeline = inputs.tally, inputs.truth, inputs.timeline
    day = max(1e-6, (timeline.day_ended or truth.day_ended) - timeline.day_started)
    accepted = [s for s in tally.sent if s.answer == "accepted" and s.phase != "install"]
    samples = inputs.refund_samples
    refunds = samples[-1][1] if samples else 0
    last_change = next((t for t, n in reversed(samples) if n < refunds), None)
    refund_span = (last_change or timeline.day_started) - timeline.day_started
    rows = inputs.conn.execute(
        "SELECT e.id, e.event_type, e.received_at, max(a.finished_at) FROM events e "
        "JOIN attempts a ON a.event_id = e.id WHERE e.status = ANY(%s) GROUP BY e.id",
        (list(TERMINAL),),
    ).fetchall()
    spans = sorted(
        ((done - received).total_seconds(), eid, kind) for eid, kind, received, done in rows if _dt(done)
    )
    longest = spans[-3:][::-1]
    seconds = [s for s, _, _ in spans]
    stats = inputs.fake.stats()
    busiest = max((site["max_requests_in_window"] for site in stats["sites"].values()), default=0)
    dead = inputs.conn.execute(
        "SELECT status_reason, count(*) FROM events WHERE status = 'dead' GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    alerts = Counter(_alert_kind(p) for p in inputs.ops_posts)
    return [
        Check(
            "load",
            "events accepted per second (day)",
            f"{len(accepted) / day:.2f} ({len(accepted)} in {day:.0f}s)",
        ),
        Check(
            "load",
            "refunds per second",
            f"{refunds / refund_span:.2f} ({refunds} in {refund_span:.0f}s from the day's start)"
            if refund_span > 0
            else f"{refunds}",
        ),
        Check(
            "load",
            "receive → done (final events)",
            f"p50 {percentile(seconds, 0.5):.2f}s, p99 {percentile(seconds, 0.99):.2f}s, "
            f"longest {seconds[-1] if seconds else 0:.1f}s",
            details=[f"event {eid} ({kind}): {s:.1f}s" for s, eid, kind in longest],
        ),
        Check(
            "load",
            "deliveries",
            f"{tally.submitted} webhooks, {len(tally.sent)} HTTP attempts, "
            f"{inputs.retries} re-sent after no 200",
        ),
        Check(
            "load",
            "faults injected",
            f"{inputs.worker_kills} worker kills; fake Wix: {stats['totals']['faults']}",
        ),
        Check(
            "load",
            "dead events",
            str(sum(n for _, n in dead)),
            details=[f"{n} x {r}" for r, n in dead[:MAX_LISTED]],
        ),
        Check("load", "busiest 60 s of one site at the fake (Wix allows 200)", str(busiest)),
        Check(
            "load",
            "ops alerts",
            str(len(inputs.ops_posts)),
            details=[f"{n} x {t}" for t, n in alerts.most_common(8)],
        ),
    ]


def _dt(value: Any) -> bool:
    return isinstance(value, datetime)


def _alert_kind(post: Any) -> str:
    """The `[kind]` an ops alert's text starts with (workers/notify/ops.py)."""
    text = str((post or {}).get("text", "")) if isinstance(post, dict) else ""
    return text[1:].split("]", 1)[0] if text.startswith("[") else "?"
