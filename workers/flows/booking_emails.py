"""Host emails with .ics for new and moved bookings; stale events (by sequence) send nothing."""

from __future__ import annotations

from processor.store.db import Sessions
from processor.store.ledger import Ledger
from processor.wix.client import WixClient
from processor.wix_event import WixEvent, parse_event_time
from workers.flows.registry import Outcome, Skipped, Succeeded, handles
from workers.flows.shared import (
    BOOKING_CONFIRMED,
    BOOKING_CREATED,
    BOOKING_RESCHEDULED,
    BookingContext,
    Clock,
    booking_of,
    email_key,
    handled_before,
    newer_handled,
    send_once,
    sequence_of,
)
from workers.notify.email import Mailer
from workers.notify.messages import booking_created_for_host, booking_rescheduled_for_host


def email_outcome(result: str, what: str) -> Outcome:
    """The flow outcome of one notification."""
    if result == "already_sent":
        return Skipped(f"{what} already sent")
    return Succeeded(f"{what} sent" if result == "sent" else f"{what} not sent: email off or no recipient")


def prepare(event: WixEvent, wix: WixClient, sessions: Sessions) -> tuple[BookingContext, int] | Skipped:
    """The booking's context and sequence, or why this event needs no email."""
    booking = booking_of(event)
    if booking is None:
        return Skipped("no booking in the event")
    context = BookingContext(wix, booking)
    if not context.is_meetings():
        return Skipped("not a Meetings booking")
    sequence = sequence_of(event, booking)
    newer = newer_handled(sessions, booking.id, sequence)
    if newer is not None:
        return Skipped(f"stale: sequence {sequence}, already handled {newer}")
    return context, sequence


@handles(BOOKING_CREATED, BOOKING_CONFIRMED)
def email_new_booking(
    event: WixEvent,
    *,
    wix: WixClient,
    sessions: Sessions,
    ledger: Ledger,
    mailer: Mailer,
    clock: Clock,
) -> Outcome:
    """Send the host an invitation (.ics REQUEST) for a new booking, once."""
    prepared = prepare(event, wix, sessions)
    if isinstance(prepared, Skipped):
        return prepared
    context, _ = prepared
    if event.event_type == BOOKING_CONFIRMED and handled_before(
        sessions, context.booking.id, BOOKING_CREATED
    ):
        return Skipped("invitation already sent for the created booking")
    meeting = context.details()
    if meeting is None:
        return Skipped("booking has no readable start and end")
    spec = booking_created_for_host(meeting, now=clock())
    result = send_once(ledger, mailer, spec, email_key(meeting.booking_id, spec.kind, meeting.revision))
    return email_outcome(result, "invitation")


@handles(BOOKING_RESCHEDULED)
def email_rescheduled_booking(
    event: WixEvent,
    *,
    wix: WixClient,
    sessions: Sessions,
    ledger: Ledger,
    mailer: Mailer,
    clock: Clock,
) -> Outcome:
    """Send the host an update (same UID, SEQUENCE = revision) for a moved booking, once."""
    prepared = prepare(event, wix, sessions)
    if isinstance(prepared, Skipped):
        return prepared
    context, _ = prepared
    meeting = context.details()
    if meeting is None:
        return Skipped("booking has no readable start and end")
    body = event.body or {}
    spec = booking_rescheduled_for_host(
        meeting,
        previous_start_utc=parse_event_time(body.get("previousStartDate")),
        previous_end_utc=parse_event_time(body.get("previousEndDate")),
        now=clock(),
    )
    result = send_once(ledger, mailer, spec, email_key(meeting.booking_id, spec.kind, meeting.revision))
    return email_outcome(result, "update")
