"""Refunds: whether REFUND_POLICY allows one, and a booking's eCommerce payments refunded exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import structlog

from processor.store.ledger import Ledger
from processor.wix.bookings import Booking
from processor.wix.client import WixClient
from processor.wix.orders import Order, PaymentRefund, Refundability
from processor.wix.services import Service
from processor.wix_event import parse_event_time

log = structlog.get_logger(__name__)

DEFAULT_LATEST_CANCELLATION_MINUTES = 1440  # Wix API assumption #24
REFUND_REASON = "Meeting canceled"
RefundStatus = Literal["refunded", "already_refunded", "nothing_to_refund", "not_refundable", "no_order"]


@dataclass(frozen=True)
class RefundResult:
    """What refund_booking_once did: the amount refunded now (or already), and the ids involved."""

    status: RefundStatus
    amount: Decimal
    currency: str | None
    refund_id: str | None
    order_id: str | None


def refund_key(booking_id: str) -> str:
    """The ledger key of a booking's refund."""
    return f"refund:{booking_id}"


def policy_refusal(
    policy: str, booking: Booking, service: Service | None, canceled_at: datetime
) -> str | None:
    """Why REFUND_POLICY says no to refunding this canceled booking, or None to refund."""
    if policy == "never":
        return "refund policy is never"
    if policy == "always":
        return None
    start = parse_event_time(booking.start_date)
    if start is None:
        return "booking has no readable start time"
    cancellation = service.cancellation_policy if service else None
    limited = cancellation.limit_latest_cancellation if cancellation else True
    if not limited:
        return None
    minutes = (cancellation.latest_cancellation_in_minutes if cancellation else None) or (
        DEFAULT_LATEST_CANCELLATION_MINUTES
    )
    if canceled_at <= start - timedelta(minutes=minutes):
        return None
    return "canceled inside the cancellation window"


def refund_booking_once(wix: WixClient, ledger: Ledger, booking_id: str, *, reason: str) -> RefundResult:
    """Refund what is left of each refundable payment of the booking's order, at most once.

    Refund Payments has no idempotency key, so refundability is re-read before every attempt: a
    refund pending or done at Wix means `already_refunded`. A timeout raises (retryable) and is
    never followed by a blind second refund.
    """
    order = wix.orders.find_for_booking(booking_id)
    if order is None:
        return RefundResult("no_order", Decimal(0), None, None, None)
    key = refund_key(booking_id)
    if ledger.is_done(key):
        return _classify(order, wix.orders.refundability(order.id))
    before = _classify(order, wix.orders.refundability(order.id))
    if before.status != "refunded":
        return before  # nothing for us to do: leave the key free for a later decision
    with ledger.once(key) as first_time:
        refundability = wix.orders.refundability(order.id)  # re-read under the key
        if not first_time:
            return _classify(order, refundability, done=True)
        planned = _classify(order, refundability)
        if planned.status != "refunded":
            return planned
        payments = [
            PaymentRefund(p.payment_id, p.remaining_refund)
            for p in refundability.payments
            if p.refundable and p.remaining_refund > 0
        ]
        line = order.line_for_booking(booking_id)
        refund = wix.orders.refund(
            order.id,
            payments,
            line_item_id=line.id if line else None,
            customer_reason=reason,
        )
        ledger.set_result(
            key,
            {
                "order_id": order.id,
                "refund_id": refund.id,
                "amount": str(planned.amount),
                "currency": order.currency,
            },
        )
    log.info("refund.issued", booking_id=booking_id, order_id=order.id, refund_id=refund.id)
    return RefundResult("refunded", planned.amount, order.currency, refund.id, order.id)


def _classify(order: Order, refundability: Refundability, *, done: bool = False) -> RefundResult:
    """`refunded` (with the amount to refund now) or why nothing should be refunded."""
    payments = refundability.payments
    earlier = sum((p.refunded + p.refund_pending for p in payments), Decimal(0))
    if earlier > 0 or done:
        return RefundResult("already_refunded", earlier, order.currency, None, order.id)
    due = sum((p.remaining_refund for p in payments if p.refundable), Decimal(0))
    if due > 0:
        return RefundResult("refunded", due, order.currency, None, order.id)
    if any(not p.refundable and p.paid > 0 for p in payments):
        return RefundResult("not_refundable", Decimal(0), order.currency, None, order.id)
    return RefundResult("nothing_to_refund", Decimal(0), order.currency, None, order.id)
