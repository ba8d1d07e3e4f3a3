"""A canceled Meetings booking: tell the host (.ics CANCEL), then refund once if the policy agrees."""

from __future__ import annotations

from processor.config import Settings
from processor.meetings.refunds import (
    REFUND_REASON,
    RefundResult,
    policy_refusal,
    refund_booking_once,
    refund_key,
)
from processor.store.ledger import Ledger
from processor.wix.client import WixClient
from processor.wix.errors import WixRejectedError
from processor.wix_event import WixEvent
from workers.flows.registry import Outcome, Skipped, Succeeded, handles
from workers.flows.shared import BOOKING_CANCELED, BookingContext, Clock, booking_of, email_key, send_once
from workers.notify.details import MeetingDetails
from workers.notify.email import Mailer
from workers.notify.messages import (
    booking_canceled_for_host,
    refund_issued_for_customer,
    refund_issued_for_host,
    refund_skipped_for_host,
)
from workers.notify.ops import OpsAlerts


@handles(BOOKING_CANCELED)
def refund_canceled_booking(
    event: WixEvent,
    *,
    wix: WixClient,
    settings: Settings,
    ledger: Ledger,
    mailer: Mailer,
    ops: OpsAlerts,
    clock: Clock,
    event_id: int,
) -> Outcome:
    """Cancellation email to the host, then the refund (policy permitting) and its emails."""
    booking = booking_of(event)
    if booking is None:
        return Skipped("no booking in the event")
    context = BookingContext(wix, booking)
    if not context.is_meetings():
        return Skipped("not a Meetings booking")
    meeting = context.details()
    if meeting is not None:
        spec = booking_canceled_for_host(meeting, now=clock())
        send_once(ledger, mailer, spec, email_key(booking.id, spec.kind, meeting.revision))
    if not booking.is_paid_online:
        return Skipped("not paid online")
    refusal = policy_refusal(settings.refund_policy, booking, context.service, event.event_time or clock())
    if refusal is not None:
        if meeting is not None and settings.refund_policy == "window":
            spec = refund_skipped_for_host(meeting, reason=refusal)
            send_once(ledger, mailer, spec, email_key(booking.id, spec.kind, meeting.revision))
        return Skipped(refusal)
    try:
        result = refund_booking_once(wix, ledger, booking.id, reason=REFUND_REASON)
    except WixRejectedError as exc:
        _alert(
            ops, "refund.failed", f"Refund refused by Wix ({exc.code or exc.status})", booking.id, event_id
        )
        raise
    return _after_refund(
        result, booking.id, meeting, ledger=ledger, mailer=mailer, ops=ops, event_id=event_id
    )


def _after_refund(
    result: RefundResult,
    booking_id: str,
    meeting: MeetingDetails | None,
    *,
    ledger: Ledger,
    mailer: Mailer,
    ops: OpsAlerts,
    event_id: int,
) -> Outcome:
    ours = result.status == "refunded" or (
        result.status == "already_refunded" and ledger.is_done(refund_key(booking_id))
    )
    if ours and meeting is not None:  # a retry after a failed email catches up here
        amount, currency = result.amount, result.currency or ""
        for spec in (
            refund_issued_for_customer(meeting, amount=amount, currency=currency),
            refund_issued_for_host(meeting, amount=amount, currency=currency),
        ):
            send_once(ledger, mailer, spec, email_key(meeting.booking_id, spec.kind, meeting.revision))
    if result.status == "refunded":
        return Succeeded(f"refunded {result.amount} {result.currency or ''}".strip())
    if result.status == "not_refundable":
        _alert(ops, "refund.not_refundable", "Payment needs a manual refund", booking_id, event_id)
        if meeting is not None:
            spec = refund_skipped_for_host(meeting, reason="the payment can only be refunded by hand")
            send_once(ledger, mailer, spec, email_key(meeting.booking_id, spec.kind, meeting.revision))
    reasons = {
        "already_refunded": "already refunded",
        "nothing_to_refund": "nothing to refund",
        "not_refundable": "not refundable here: needs a manual refund",
        "no_order": "no eCommerce order for this booking",
    }
    return Skipped(reasons[result.status])


def _alert(ops: OpsAlerts, kind: str, text: str, booking_id: str | None, event_id: int) -> None:
    ops.alert(
        kind, f"{text}: booking {booking_id}", {"booking_id": booking_id or "-", "event_id": str(event_id)}
    )
