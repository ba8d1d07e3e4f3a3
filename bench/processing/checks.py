"""What every part checks: nothing acknowledged lost, exactly one refund (and three emails) per booking."""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage
from typing import Any

from bench.processing.report import Check
from bench.processing.store_reads import TERMINAL, EventTimes
from bench.processing.webhooks import Answers
from bench.soak.sinks import classify
from tests.fixtures.smtp import Envelope

EMAILS_PER_REFUND = 3  # the host's cancellation, the customer's and the host's refund notices


def _some(items: list[Any], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" … (+{len(items) - limit})" if len(items) > limit else "")


def nothing_lost(answers: Answers, times: dict[int, EventTimes], sent: int) -> Check:
    """Every webhook answered 200, every acknowledged event is in the store, none is dead.

    Events still waiting when a part reaches its bound are not lost (stored, to be processed); the
    detail counts them.
    """
    acked = set(answers.event_ids)
    missing = sorted(acked - times.keys())
    dead = sorted(e for e in acked & times.keys() if times[e].status == "dead")
    waiting = sorted(e for e in acked & times.keys() if times[e].status not in TERMINAL)
    refused = sent - len(answers.event_ids)
    detail = (
        f"{sent} sent, {len(answers.event_ids)} answered 200 ({answers.duplicates} duplicate), "
        f"{len(acked) - len(missing)} of them stored; missing {len(missing)}, dead {len(dead)}, "
        f"still waiting at the bound {len(waiting)}"
    )
    if answers.failures:
        detail += f"; not acknowledged: {_some(answers.failures, 3)}"
    if missing:
        detail += f"; missing ids: {_some(missing)}"
    if dead:
        detail += f"; dead ids: {_some(dead)}"
    return Check("nothing lost", not (missing or dead or refused or answers.failures), detail)


def no_bookings() -> Check:
    return Check(
        "exactly one refund per booking", True, "n/a: no bookings in this part (no flow handles its events)"
    )


def refunds_by_booking(stats: dict[str, Any]) -> Counter[str]:
    """Refund Payments calls the fake applied, per booking, over every site (`/_fake/stats`)."""
    counts: Counter[str] = Counter()
    for site in stats["sites"].values():
        counts.update(site.get("refunds_by_booking") or {})
    return counts


def one_refund_each(answers: Answers, times: dict[int, EventTimes], refunds: Counter[str]) -> Check:
    """No booking refunded twice or without its event; every succeeded cancellation refunded once."""
    doubled = sorted(b for b, n in refunds.items() if n > 1)
    stray = sorted(b for b in refunds if b not in answers.by_booking)
    status = {b: times[e].status if e in times else "missing" for b, e in answers.by_booking.items()}
    succeeded = [b for b, s in status.items() if s == "succeeded"]
    unrefunded = sorted(b for b in succeeded if refunds.get(b, 0) != 1)
    other = Counter(s for s in status.values() if s not in ("succeeded",))
    waiting = sum(n for s, n in other.items() if s not in TERMINAL)
    detail = (
        f"{len(answers.by_booking)} bookings canceled, {len(succeeded)} succeeded, "
        f"{sum(refunds.values())} refunds at Wix for {len(refunds)} bookings; refunded twice "
        f"{len(doubled)}, succeeded without exactly one refund {len(unrefunded)}, refunded without "
        f"an event {len(stray)}; not succeeded: {dict(other) or 'none'} ({waiting} still waiting)"
    )
    if doubled:
        detail += f"; doubled: {_some(doubled)}"
    if unrefunded:
        detail += f"; unrefunded: {_some(unrefunded)}"
    finished_badly = sum(n for s, n in other.items() if s in TERMINAL or s == "missing")
    return Check(
        "exactly one refund per booking", not (doubled or stray or unrefunded or finished_badly), detail
    )


def emails_per_booking(
    messages: list[EmailMessage], envelopes: list[Envelope], contact_of: dict[str, str]
) -> Counter[str]:
    """Emails received per booking: the customer's by their own address, the host's by the booking id
    in the .ics UID or the body (bench.soak.sinks.classify)."""
    booking_of_contact = {email.lower(): booking for booking, email in contact_of.items()}
    counts: Counter[str] = Counter()
    for message, envelope in zip(messages, envelopes, strict=False):
        recipients = [r.lower() for r in envelope.rcpt_tos]
        booking = next((booking_of_contact[r] for r in recipients if r in booking_of_contact), None)
        booking = booking or classify(message).booking_id
        if booking:
            counts[booking] += 1
    return counts


def three_emails_each(
    answers: Answers, times: dict[int, EventTimes], emails: Counter[str], pending: int
) -> Check:
    """Every refunded booking's three notices arrived, and no booking got one twice."""
    succeeded = [b for b, e in answers.by_booking.items() if e in times and times[e].status == "succeeded"]
    short = sorted(b for b in succeeded if emails.get(b, 0) < EMAILS_PER_REFUND)
    missing = sum(EMAILS_PER_REFUND - emails.get(b, 0) for b in short)
    doubled = sorted(b for b, n in emails.items() if n > EMAILS_PER_REFUND)
    detail = (
        f"{sum(emails.values())} emails for {len(emails)} bookings; {len(short)} succeeded bookings "
        f"short of {EMAILS_PER_REFUND} by {missing} emails in all, {pending} emails still pending or "
        f"sending in the outbox (to be sent: not lost); bookings with more: {len(doubled)}"
    )
    if doubled:
        detail += f"; doubled: {_some(doubled)}"
    passed = not doubled and missing <= pending
    return Check(f"{EMAILS_PER_REFUND} emails per refunded booking, none twice", passed, detail)
