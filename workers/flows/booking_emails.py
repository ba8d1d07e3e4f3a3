"""Host emails with .ics for new and moved bookings; stale events (by sequence) send nothing.

One invitation per booking, whichever of `booking_created` and `booking_confirmed` gets there first
(Wix sends both within milliseconds, and parallel workers run them at once): its outbox key is the
booking's, so the second records nothing. Updates are once per revision.
"""

from __future__ import annotations

from processor.store.db import Sessions
from processor.wix.client import WixClient
from processor.wix_event import WixEvent, parse_event_time
from workers.flows.registry import Outcome, Skipped, handles
from workers.flows.shared import (
    BOOKING_CONFIRMED,
    BOOKING_CREATED,
    BOOKING_RESCHEDULED,
    BookingContext,
    Clock,
    Outbox,
    booking_of,
    email_key,
    newer_handled,
    notice_outcome,
    sequence_of,
)
from workers.notify.messages import booking_created_for_host, booking_rescheduled_for_host

INVITATION = "invitation"  # the key name of a booking's one invitation


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
    outbox: Outbox,
    clock: Clock,
) -> Outcome:
    """Record the host's invitation (.ics REQUEST) for a new booking, once per booking."""
    prepared = prepare(event, wix, sessions)
    if isinstance(prepared, Skipped):
        return prepared
    context, _ = prepared
    meeting = context.details()
    if meeting is None:
        return Skipped("booking has no readable start and end")
    spec = booking_created_for_host(meeting, now=clock())
    return notice_outcome(outbox.email(email_key(meeting.booking_id, INVITATION), spec), "invitation")


@handles(BOOKING_RESCHEDULED)
def email_rescheduled_booking(
    event: WixEvent,
    *,
    wix: WixClient,
    sessions: Sessions,
    outbox: Outbox,
    clock: Clock,
) -> Outcome:
    """Record the host's update (same UID, SEQUENCE = revision) for a moved booking, once per revision."""
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
    key = email_key(meeting.booking_id, spec.kind, meeting.revision)
    return notice_outcome(outbox.email(key, spec), "update")
