"""The invariants: nothing acknowledged lost, no effect doubled, no 5xx outside an outage.

Each check reads what the outside world saw (the store, the fake's refunds, the SMTP sink, every HTTP
answer Wix got) and lists the offending ids, so a failure comes with its evidence; `links` checks the
calendar pauses and `figures` adds the load figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import psycopg

from bench.soak.config import TERMINAL
from bench.soak.delivery import Sent
from bench.soak.evidence import booking_story, event_story
from bench.soak.figures import load
from bench.soak.links import links
from bench.soak.sinks import emails_by_booking
from bench.soak.verdict import Check, Inputs, listed, percentile


def run_checks(inputs: Inputs) -> list[Check]:
    return [*lost(inputs), *doubled(inputs), *answers(inputs), *load(inputs)]


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
            listed([f"event id {i}" for i in missing], cap=None),
        ),
        Check(
            "lost",
            "one Wix event stored under several ids",
            str(len(split)),
            not split,
            listed([f"{wix}: ids {sorted(ids)}" for wix, ids in split.items()], cap=None),
        ),
        Check(
            "lost",
            "in the store, never reached a final status",
            f"{len(unfinished)} of {len(stored)}" + (f" ({dict(by_status)})" if by_status else ""),
            not unfinished,
            listed([event_story(conn, row[0]) for row in unfinished], [str(row[0]) for row in unfinished]),
        ),
        Check(
            "lost",
            "sent but never answered 200 (Wix still retrying)",
            f"{len(never_acked)} of {len(tally.types)}",
            not never_acked,
            listed([f"{w} ({tally.types[w]})" for w in never_acked], cap=None),
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
    once = sorted(b for b in canceled if refunds[b] == 1)
    unrecorded = sorted(set(once) - _recorded_refunds(conn, once))
    emails = emails_by_booking(inputs.emails)
    invitations, cancellations = emails.get("invitation", Counter()), emails.get("cancellation", Counter())
    extra_invites = sorted(b for b, n in invitations.items() if n > 1)
    extra_cancels = sorted(b for b, n in cancellations.items() if n > 1)
    no_invite = sorted(b for b in truth.bookings if invitations[b] == 0)
    kinds = {kind: sum(counts.values()) for kind, counts in emails.items()}
    # The email checks count by subject and .ics METHOD (sinks.classify): if the product's emails
    # change shape, nothing matches and "at most one" would pass for nothing. That is a harness fault.
    blind = (bool(truth.bookings) and not invitations) or (bool(canceled) and not cancellations)

    def story(booking_id: str, what: str) -> str:
        return f"booking {booking_id}: {what}\n" + booking_story(conn, booking_id)

    checks = [
        Check(
            "doubled",
            "emails recognized by kind (invitations and cancellations must be)",
            ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) or "none",
            not blind,
            ["no invitation or no cancellation email recognized: see bench/soak/sinks.py classify()"]
            if blind
            else [],
        ),
        Check(
            "doubled",
            "refunds per booking (1 per canceled paid booking, 0 otherwise)",
            f"{sum(1 for b in canceled if refunds[b] == 1)}/{len(canceled)} once; "
            f"{len(twice)} twice or more; "
            f"{len(unrefunded)} canceled not refunded ({len(waiting)} of them with the cancel event "
            f"not final yet); {len(wrongly)} refunded not canceled",
            not (twice or unrefunded or wrongly),
            listed(
                [story(b, f"{refunds[b]} refunds") for b in twice]
                + [story(b, "canceled, never refunded") for b in unrefunded]
                + [story(b, "refunded, never canceled") for b in wrongly],
                twice + unrefunded + wrongly,
            ),
        ),
        Check(
            "doubled",
            "refunds no event records as `refunded` (the record of issue 10 #6)",
            f"{len(unrecorded)} of {len(once)}",
            details=listed([story(b, "refunded at Wix; no event says so") for b in unrecorded], unrecorded),
        ),
        Check(
            "doubled",
            "host invitations per booking (≤ 1)",
            f"{len(extra_invites)} bookings with more than one",
            not extra_invites,
            listed([story(b, f"{invitations[b]} invitations") for b in extra_invites], extra_invites),
        ),
        Check(
            "doubled",
            "bookings without an invitation (stale events skip it)",
            str(len(no_invite)),
            details=listed([story(b, "no invitation") for b in no_invite], no_invite),
        ),
        Check(
            "doubled",
            "cancellation emails per booking (≤ 1)",
            f"{len(extra_cancels)} with more than one; {sum(1 for b in canceled if cancellations[b] == 0)}"
            f" of {len(canceled)} canceled with none",
            not extra_cancels,
            listed(
                [story(b, f"{cancellations[b]} cancellation emails") for b in extra_cancels], extra_cancels
            ),
        ),
    ]
    return checks + links(inputs)


def _recorded_refunds(conn: psycopg.Connection[Any], booking_ids: list[str]) -> set[str]:
    """Of these bookings, those with a cancel event that ended `succeeded: refunded …`."""
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM events WHERE entity_id = ANY(%s) "
        "AND event_type = 'wix.bookings.v2.booking_canceled' AND status = 'succeeded' "
        "AND status_reason LIKE 'refunded%%'",
        (booking_ids,),
    ).fetchall()
    return {row[0] for row in rows}


def _cancel_unfinished(conn: psycopg.Connection[Any], booking_ids: list[str]) -> set[str]:
    """Of these bookings, those whose cancel event is still waiting (the backlog, not a lost effect)."""
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM events WHERE entity_id = ANY(%s) "
        "AND event_type = 'wix.bookings.v2.booking_canceled' AND status <> ALL(%s)",
        (booking_ids, list(TERMINAL)),
    ).fetchall()
    return {row[0] for row in rows}


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
            listed([line(s) for s in bad_5xx], cap=None),
        ),
        Check(
            "answers",
            "4xx answers (signed, well-formed webhooks)",
            str(len(bad_4xx)),
            not bad_4xx,
            listed([line(s) for s in bad_4xx], cap=None),
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
