"""The invariants (nothing acknowledged lost, no effect doubled, no 5xx outside an outage) and the figures.

Each check reads what the outside world saw (the store, the fake's refunds and link writes, the SMTP
sink, every HTTP answer Wix got) and lists the offending ids, so a failure comes with its evidence.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from bench.soak.chaos import Timeline
from bench.soak.config import TERMINAL
from bench.soak.day import DayTruth
from bench.soak.delivery import Sent, Tally
from bench.soak.evidence import booking_story, event_story
from bench.soak.sinks import SoakFakeWix, emails_by_booking

MAX_LISTED = 12


@dataclass
class Check:
    """One line of the table: an invariant (`ok` True/False) or a figure (`ok` None)."""

    section: str
    name: str
    value: str
    ok: bool | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class Inputs:
    conn: psycopg.Connection[Any]
    tally: Tally
    fake: SoakFakeWix
    emails: list[Any]
    ops_posts: list[Any]
    truth: DayTruth
    timeline: Timeline
    refund_samples: list[tuple[float, int]]
    worker_kills: int
    retries: int


def run_checks(inputs: Inputs) -> list[Check]:
    return [*lost(inputs), *doubled(inputs), *answers(inputs), *load(inputs)]


def _listed(lines: list[str]) -> list[str]:
    return lines[:MAX_LISTED] + ([f"… and {len(lines) - MAX_LISTED} more"] if len(lines) > MAX_LISTED else [])


# -- lost ---------------------------------------------------------------------------------------


def lost(inputs: Inputs) -> list[Check]:
    conn, tally = inputs.conn, inputs.tally
    stored = {row[0] for row in conn.execute("SELECT id FROM events")}
    acked_ids = {event_id for ids in tally.acked.values() for event_id in ids}
    missing = sorted(acked_ids - stored)
    split = {wix: ids for wix, ids in tally.acked.items() if len(ids) > 1}
    unfinished = conn.execute(
        "SELECT id, status FROM events WHERE status <> ALL(%s) ORDER BY id", (list(TERMINAL),)
    ).fetchall()
    by_status = Counter(status for _, status in unfinished)
    never_acked = sorted(set(tally.types) - set(tally.acked))
    return [
        Check(
            "lost",
            "acknowledged (200) but not in the store",
            f"{len(missing)} of {len(acked_ids)}",
            not missing,
            _listed([f"event id {i}" for i in missing]),
        ),
        Check(
            "lost",
            "one Wix event stored under several ids",
            str(len(split)),
            not split,
            _listed([f"{wix}: ids {sorted(ids)}" for wix, ids in split.items()]),
        ),
        Check(
            "lost",
            "in the store, never reached a final status",
            f"{len(unfinished)} of {len(stored)}" + (f" ({dict(by_status)})" if by_status else ""),
            not unfinished,
            _listed([event_story(conn, row[0]) for row in unfinished]),
        ),
        Check(
            "lost",
            "sent but never answered 200 (Wix still retrying)",
            f"{len(never_acked)} of {len(tally.types)}",
            not never_acked,
            _listed([f"{w} ({tally.types[w]})" for w in never_acked]),
        ),
    ]


# -- doubled ------------------------------------------------------------------------------------


def doubled(inputs: Inputs) -> list[Check]:
    conn, truth, fake = inputs.conn, inputs.truth, inputs.fake
    refunds: Counter[str] = Counter()
    for site in fake.sites:
        refunds.update(site.refunds_by_booking())
    canceled = {b for b, t in truth.bookings.items() if t.canceled}
    twice = sorted(b for b, n in refunds.items() if n > 1)
    unrefunded = sorted(b for b in canceled if refunds[b] == 0)
    wrongly = sorted(b for b, n in refunds.items() if n and b not in canceled)
    waiting = _cancel_unfinished(conn, unrefunded)
    emails = emails_by_booking(inputs.emails)
    invitations, cancellations = emails.get("invitation", Counter()), emails.get("cancellation", Counter())
    extra_invites = sorted(b for b, n in invitations.items() if n > 1)
    extra_cancels = sorted(b for b, n in cancellations.items() if n > 1)
    no_invite = sorted(b for b in truth.bookings if invitations[b] == 0)

    def story(booking_id: str, what: str) -> str:
        return f"booking {booking_id}: {what}\n" + booking_story(conn, booking_id)

    checks = [
        Check(
            "doubled",
            "refunds per booking (1 per canceled paid booking, 0 otherwise)",
            f"{sum(1 for b in canceled if refunds[b] == 1)}/{len(canceled)} once; "
            f"{len(twice)} twice or more; "
            f"{len(unrefunded)} canceled not refunded ({len(waiting)} of them with the cancel event "
            f"not final yet); {len(wrongly)} refunded not canceled",
            not (twice or unrefunded or wrongly),
            _listed(
                [story(b, f"{refunds[b]} refunds") for b in twice]
                + [story(b, "canceled, never refunded") for b in unrefunded]
                + [story(b, "refunded, never canceled") for b in wrongly]
            ),
        ),
        Check(
            "doubled",
            "host invitations per booking (≤ 1)",
            f"{len(extra_invites)} bookings with more than one",
            not extra_invites,
            _listed([story(b, f"{invitations[b]} invitations") for b in extra_invites]),
        ),
        Check(
            "doubled",
            "bookings without an invitation (stale events skip it)",
            str(len(no_invite)),
            details=_listed([story(b, "no invitation") for b in no_invite]),
        ),
        Check(
            "doubled",
            "cancellation emails per booking (≤ 1)",
            f"{len(extra_cancels)} with more than one; {sum(1 for b in canceled if cancellations[b] == 0)}"
            f" of {len(canceled)} canceled with none",
            not extra_cancels,
            _listed([story(b, f"{cancellations[b]} cancellation emails") for b in extra_cancels]),
        ),
    ]
    return checks + links(inputs)


def _cancel_unfinished(conn: psycopg.Connection[Any], booking_ids: list[str]) -> set[str]:
    """Of these bookings, those whose cancel event is still waiting (the backlog, not a lost effect)."""
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM events WHERE entity_id = ANY(%s) "
        "AND event_type = 'wix.bookings.v2.booking_canceled' AND status <> ALL(%s)",
        (booking_ids, list(TERMINAL)),
    ).fetchall()
    return {row[0] for row in rows}


def links(inputs: Inputs) -> list[Check]:
    """Per calendar break: one deactivation of the host's link, at most one reactivation, on at the end."""
    episodes = sorted(inputs.truth.episodes, key=lambda e: e.broke_at)
    by_service: dict[str, list[int]] = defaultdict(list)
    for number, episode in enumerate(episodes):
        by_service[episode.service_id].append(number)
    offs: Counter[int] = Counter()
    ons: Counter[int] = Counter()
    stray: list[str] = []
    for write in inputs.fake.writes():
        owners = [n for n in by_service.get(write.service_id, []) if episodes[n].broke_at <= write.at]
        if not owners:
            stray.append(
                f"service {write.service_id}: enabled={write.enabled} with no calendar break before it"
            )
            continue
        (ons if write.enabled else offs)[owners[-1]] += 1
    extra_off = [n for n in range(len(episodes)) if offs[n] > 1]
    extra_on = [n for n in range(len(episodes)) if ons[n] > 1]
    missed = [n for n in range(len(episodes)) if offs[n] == 0]
    left_off = []
    for site in inputs.fake.sites:
        for service in site.services.values():
            if not (service.get("onlineBooking") or {}).get("enabled", True):
                left_off.append(f"service {service['id']} (site {site.instance_id}) is off")

    def describe(n: int) -> str:
        e = episodes[n]
        where = f"connection {e.connection_id[:24]}…, service {e.service_id}"
        return f"break {n} ({where}): {offs[n]} off, {ons[n]} on"

    return [
        Check(
            "doubled",
            "link deactivations per calendar break (0 extra)",
            f"{len(episodes)} breaks; {len(extra_off)} with extra deactivations; {len(missed)} never paused; "
            f"{len(stray)} writes outside a break",
            not (extra_off or stray),
            _listed([describe(n) for n in extra_off] + stray),
        ),
        Check(
            "doubled",
            "link reactivations per recovery (≤ 1)",
            f"{len(extra_on)} with more than one",
            not extra_on,
            _listed([describe(n) for n in extra_on]),
        ),
        Check(
            "doubled",
            "links left off after every calendar recovered",
            str(len(left_off)),
            not left_off,
            _listed(left_off),
        ),
    ]


# -- answers ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def answers(inputs: Inputs) -> list[Check]:
    sent, timeline = inputs.tally.sent, inputs.timeline
    bad_5xx = [
        s
        for s in sent
        if s.status is not None
        and s.status >= 500
        and not (s.status == 503 and s.error == "store_unavailable" and timeline.store_outage(s.at))
    ]
    bad_4xx = [s for s in sent if s.status is not None and 400 <= s.status < 500]
    allowed = [s for s in sent if s.status == 503 and s not in bad_5xx]

    def line(s: Sent) -> str:
        return (
            f"+{s.at - timeline.day_started:.1f}s receiver {s.receiver} {s.status} {s.error} "
            f"({s.event_type}, {s.wix_event_id}, phase {s.phase})"
        )

    checks = [
        Check(
            "answers",
            "5xx outside the injected outages",
            str(len(bad_5xx)),
            not bad_5xx,
            _listed([line(s) for s in bad_5xx]),
        ),
        Check(
            "answers",
            "4xx answers (signed, well-formed webhooks)",
            str(len(bad_4xx)),
            not bad_4xx,
            _listed([line(s) for s in bad_4xx]),
        ),
        Check("answers", "503 store_unavailable during the PostgreSQL restart", str(len(allowed))),
    ]
    phases: dict[str, list[Sent]] = defaultdict(list)
    for s in sent:
        phases[s.phase].append(s)
    for phase in ("install", "steady", "receiver_down", "redis_down", "postgres_restart", "settle"):
        group = phases.get(phase, [])
        if not group:
            continue
        acks = [s.seconds * 1000 for s in group if s.status == 200]
        misses = Counter(s.error or str(s.status) for s in group if s.status != 200)
        value = (
            f"{len(acks)} acks, p50 {percentile(acks, 0.5):.1f} ms, p99 {percentile(acks, 0.99):.1f} ms"
            + (f"; no 200: {dict(misses)}" if misses else "")
        )
        checks.append(Check("answers", f"ack time, {phase}", value))
    return checks


# -- load ---------------------------------------------------------------------------------------


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
