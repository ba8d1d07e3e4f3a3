"""What Wix says now about a booking's money: its line of the order, what went back on it, what is due.

Read before every refund decision (Refund Payments has no idempotency key), and to report a refund
the ledger knows from Wix's current state rather than from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from processor.wix.client import WixClient
from processor.wix.orders import LineItem, Order, PaymentRefund, Refundability, RefundRecord
from processor.wix_event import parse_event_time

# How much earlier than our intent a refund may be stamped and still be the call we sent (clock skew).
INTENT_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class BookingMoney:
    """One booking's line of an order and the order's payments and refunds, as Wix shows them now."""

    order: Order
    line: LineItem | None
    refundability: Refundability
    refunds: tuple[RefundRecord, ...]  # every refund of the order

    @property
    def line_refunds(self) -> tuple[RefundRecord, ...]:
        """Refunds that did not fail and name this line, or name no line at all (they might be ours)."""
        return tuple(
            r
            for r in self.refunds
            if not r.failed and (not r.line_item_ids or (self.line and self.line.id in r.line_item_ids))
        )

    @property
    def refunded(self) -> Decimal:
        """What already went back (or is on its way) for this booking.

        With one line, every refund of the order is this booking's, whether or not List Transactions
        lists it yet, so the payments' refunded + pending amounts count too."""
        listed = sum((r.amount for r in self.line_refunds), Decimal(0))
        if len(self.order.line_items) <= 1:
            payments = sum((p.refunded + p.refund_pending for p in self.refundability.payments), Decimal(0))
            return max(listed, payments)
        return listed

    @property
    def cap(self) -> Decimal | None:
        """The most this booking may still get back: its line's price * quantity minus what went back.

        None when the line has no price: then only a single-line order is refundable (its payments)."""
        total = self.line.total if self.line else None
        if total is None:
            return None
        return max(total - self.refunded, Decimal(0))

    def payments_due(self) -> list[PaymentRefund]:
        """The refund to send: up to the cap, taken from the refundable payments in order."""
        cap = self.cap
        if cap is None:
            cap = Decimal("Infinity") if len(self.order.line_items) <= 1 else Decimal(0)
        left, planned = cap, []
        for payment in self.refundability.payments:
            if left <= 0:
                break
            take = min(payment.remaining_refund, left)
            if payment.refundable and take > 0:
                planned.append(PaymentRefund(payment.payment_id, take))
                left -= take
        return planned

    def needs_manual_refund(self) -> bool:
        """Money was paid that Wix will not refund through this API (manual, gift card, membership)."""
        payments = self.refundability.payments
        return any(not p.refundable and p.paid > p.refunded + p.refund_pending for p in payments)

    def refund_named(self, refund_id: str | None) -> RefundRecord | None:
        """The order's refund with this id, if Wix lists it."""
        return next((r for r in self.refunds if refund_id and r.id == refund_id), None)

    def ours_since(self, intent_at: datetime) -> RefundRecord | None:
        """A refund on this line created since our intent was written: the one whose answer we lost."""
        for record in self.line_refunds:
            created = parse_event_time(record.created_date) if record.created_date else None
            if created is not None and created >= intent_at - INTENT_SKEW:
                return record
        return None


def read_booking_money(wix: WixClient, order: Order, booking_id: str) -> BookingMoney:
    """Refundability and List Transactions of the order, with the booking's line."""
    return BookingMoney(
        order=order,
        line=order.line_for_booking(booking_id),
        refundability=wix.orders.refundability(order.id),
        refunds=wix.orders.transactions(order.id).refund_records(),
    )
