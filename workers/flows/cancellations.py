"""A canceled Meetings booking: refund once if the policy agrees, then record the host's and customer's email.

The money decides the event's status; the emails are recorded in the outbox after the refund decision
and delivered on their own, so an email that cannot be sent never stops or undoes a refund.
"""

from __future__ import annotations

from processor.config import Settings
from processor.meetings.refunds import (
    REFUND_REASON,
    RefundResult,
    policy_refusal,
    refund_booking_once,
)
from processor.store.ledger import Ledger
from processor.wix.client import WixClient
from processor.wix.errors import WixRejectedError
from processor.wix_event import WixEvent
from workers.flows.registry import Outcome, PermanentFailure, Skipped, Succeeded, handles
from workers.flows.shared import BOOKING_CANCELED, BookingContext, Clock, Outbox, booking_of, email_key
from workers.notify.details import MeetingDetails
from workers.notify.messages import (
    booking_canceled_for_host,
    refund_issued_for_customer,
    refund_issued_for_host,
    refund_skipped_for_host,
)

SKIP_REASONS = {
    "already_refunded": "already refunded",
    "nothing_to_refund": "nothing to refund",
    "not_refundable": "not refundable here: needs a manual refund",
    "no_order": "no eCommerce order for this booking",
}


@handles(BOOKING_CANCELED)
def refund_canceled_booking(
    event: WixEvent,
    *,
    wix: WixClient,
    settings: Settings,
    ledger: Ledger,
    outbox: Outbox,
    clock: Clock,
    event_id: int,
) -> Outcome:
    """The refund (policy permitting), then the host's cancellation email (.ics CANCEL) and refund emails."""
    booking = booking_of(event)
    if booking is None:
        return Skipped("no booking in the event")
    context = BookingContext(wix, booking)
    if not context.is_meetings():
        return Skipped("not a Meetings booking")
    meeting = context.details()
    notices = Notices(outbox, meeting, clock, event_id, booking.id)
    if not booking.is_paid_online:
        notices.cancellation()
        return Skipped("not paid online")
    refusal = policy_refusal(settings.refund_policy, booking, context.service, event.event_time or clock())
    if refusal is not None:
        notices.cancellation()
        if settings.refund_policy == "window":
            notices.refund_skipped(refusal)
        return Skipped(refusal)
    try:
        result = refund_booking_once(wix, ledger, booking.id, reason=REFUND_REASON)
    except WixRejectedError as exc:
        notices.cancellation()  # refused is a decision too: the host still learns of the cancellation
        notices.alert("refund.failed", f"Refund refused by Wix ({exc.code or exc.status})")
        raise
    # ours, now or before (a refund that landed while its answer was lost counts): the refund emails
    # once, recorded with the host's cancellation email
    ours = result.status == "refunded" or (result.status == "already_refunded" and result.ours)
    notices.cancellation(refunded=result if ours else None)
    return _after_refund(result, notices)


def _after_refund(result: RefundResult, notices: Notices) -> Outcome:
    if result.status == "refunded":
        return Succeeded(f"refunded {result.amount} {result.currency or ''}".strip())
    if result.status == "refund_failed":
        which = f"Our refund {result.refund_id}" if result.refund_id else "Our refund"
        notices.alert("refund.failed", f"{which} failed at Wix")
        notices.refund_skipped("the refund failed at Wix; refund it by hand")
        raise PermanentFailure(f"{which.lower()} failed at Wix: refund it by hand")
    if result.status == "not_refundable":
        notices.alert("refund.not_refundable", "Payment needs a manual refund")
        notices.refund_skipped("the payment can only be refunded by hand")
    return Skipped(SKIP_REASONS[result.status])


class Notices:
    """The emails and alerts of one cancellation, each under its once-per-booking (or event) key."""

    def __init__(
        self, outbox: Outbox, meeting: MeetingDetails | None, clock: Clock, event_id: int, booking_id: str
    ) -> None:
        self.outbox, self.meeting, self.clock = outbox, meeting, clock
        self.event_id, self.booking_id = event_id, booking_id

    def cancellation(self, *, refunded: RefundResult | None = None) -> None:
        """The host's cancellation email and, after our refund, the customer's and host's refund
        emails: recorded together, one statement."""
        if self.meeting is None:
            return
        specs = [booking_canceled_for_host(self.meeting, now=self.clock())]
        if refunded is not None:
            amount, currency = refunded.amount, refunded.currency or ""
            specs += [
                refund_issued_for_customer(self.meeting, amount=amount, currency=currency),
                refund_issued_for_host(self.meeting, amount=amount, currency=currency),
            ]
        self.outbox.emails([(email_key(self.booking_id, spec.kind), spec) for spec in specs])

    def refund_skipped(self, reason: str) -> None:
        if self.meeting is not None:
            spec = refund_skipped_for_host(self.meeting, reason=reason)
            self.outbox.email(email_key(self.booking_id, spec.kind), spec)

    def alert(self, kind: str, text: str) -> None:
        key = f"ops:{kind.replace('.', '_')}:{self.event_id}"
        fields = {"booking_id": self.booking_id, "event_id": str(self.event_id)}
        self.outbox.alert(key, kind, f"{text}: booking {self.booking_id}", fields)
