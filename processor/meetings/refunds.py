"""Refunds: whether REFUND_POLICY allows one, and a booking's eCommerce payments refunded exactly once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import structlog

from processor.meetings.refund_state import BookingMoney, read_booking_money
from processor.store.ledger import Ledger
from processor.wix.bookings import Booking
from processor.wix.client import WixClient
from processor.wix.errors import WixRejectedError
from processor.wix.services import Service
from processor.wix.wire import format_amount
from processor.wix_event import parse_event_time

log = structlog.get_logger(__name__)

DEFAULT_LATEST_CANCELLATION_MINUTES = 1440  # Wix API assumption #24
REFUND_REASON = "Meeting canceled"
RefundStatus = Literal[
    "refunded", "already_refunded", "nothing_to_refund", "not_refundable", "no_order", "refund_failed"
]


@dataclass(frozen=True)
class RefundResult:
    """What refund_booking_once found or did: the amount refunded now (or before), and the ids involved.

    `ours`: the processor made this refund (now, earlier, or in a call whose answer was lost), so its
    emails are due; `refund_failed`: our refund is recorded but Wix says it failed, no money moved.
    """

    status: RefundStatus
    amount: Decimal
    currency: str | None
    refund_id: str | None
    order_id: str | None
    ours: bool = False


class _NothingToDo(Exception):
    """Raised inside the ledger block to give the key back when the re-read shows nothing to refund."""

    def __init__(self, result: RefundResult) -> None:
        super().__init__(result.status)
        self.result = result


def refund_key(booking_id: str) -> str:
    """The ledger key of a booking's refund."""
    return f"refund:{booking_id}"


def intent_key(booking_id: str) -> str:
    """The ledger key of a refund call that went out and has no answer yet (written before the call)."""
    return f"refund-intent:{booking_id}"


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
    """Refund what is left of the booking's line of its order, at most once, and say what Wix says now.

    Refund Payments has no idempotency key, so Wix's state is read under the ledger key before every
    decision, and an intent is written under the key before the call: when the call times out after
    the refund landed, the retry finds the intent and the refund and records the refund as ours (with
    Wix's refund id from List Transactions) instead of sending a second one. A booking in a cart gets
    back at most its own line (price * quantity, minus what went back on it). A key that is done is
    reported from Wix's current state: a refund that failed at Wix is `refund_failed`, not `refunded`.
    With nothing to refund the key is given back, free for a later decision.

    The state is read once, under the key (an earlier version read it before taking the key too, to
    leave the key untouched when there was nothing to do: two more Wix calls on every refund to save
    two statements on the rarer path).
    """
    order = wix.orders.find_for_booking(booking_id)
    if order is None:
        return RefundResult("no_order", Decimal(0), None, None, None)
    key = refund_key(booking_id)
    try:
        with ledger.once(key) as first_time:
            money = read_booking_money(wix, order, booking_id)
            if not first_time:
                return _reported(money, (ledger.entry(key) or ("", None))[1] or {})
            return _refund_under_key(wix, ledger, money, booking_id, reason)
    except _NothingToDo as nothing:
        return nothing.result


def _refund_under_key(
    wix: WixClient, ledger: Ledger, money: BookingMoney, booking_id: str, reason: str
) -> RefundResult:
    order = money.order
    decided = _decide(money, ledger, booking_id)
    if decided.ours:
        return _record_ours(ledger, money, booking_id)
    if decided.status != "refunded":
        raise _NothingToDo(decided)
    payments = money.payments_due()
    amount = sum((p.amount for p in payments), Decimal(0))
    intent: dict[str, Any] = {
        "order_id": order.id,
        "line_item_id": money.line.id if money.line else None,
        "amount": format_amount(amount),
        "at": datetime.now(UTC).isoformat(),
    }
    if not ledger.record(intent_key(booking_id), intent):
        ledger.set_result(intent_key(booking_id), intent)
    try:
        refund = wix.orders.refund(
            order.id,
            payments,
            line_item_id=money.line.id if money.line else None,
            line_quantity=money.line.quantity if money.line else 1,
            customer_reason=reason,
        )
    except WixRejectedError:
        ledger.forget(intent_key(booking_id))  # refused: we know no money moved
        raise
    ledger.set_result(
        refund_key(booking_id),
        {
            "order_id": order.id,
            "refund_id": refund.id,
            "amount": format_amount(amount),
            "currency": order.currency,
        },
    )
    ledger.forget(intent_key(booking_id))  # answered: the outcome is known
    log.info("refund.issued", booking_id=booking_id, order_id=order.id, refund_id=refund.id)
    return RefundResult("refunded", amount, order.currency, refund.id, order.id, ours=True)


def _decide(money: BookingMoney, ledger: Ledger, booking_id: str) -> RefundResult:
    """`refunded` with the amount due now (or `ours` when a lost answer of ours is found), else why not."""
    order, currency = money.order, money.order.currency
    if money.refunded > 0:
        intent = (ledger.entry(intent_key(booking_id)) or ("", None))[1]
        if intent and _ours(money, intent):
            return RefundResult("refunded", money.refunded, currency, None, order.id, ours=True)
        return RefundResult("already_refunded", money.refunded, currency, None, order.id)
    due = sum((p.amount for p in money.payments_due()), Decimal(0))
    if due > 0:
        return RefundResult("refunded", due, currency, None, order.id)
    if money.needs_manual_refund() or (money.cap is None and len(order.line_items) > 1):
        return RefundResult("not_refundable", Decimal(0), currency, None, order.id)
    return RefundResult("nothing_to_refund", Decimal(0), currency, None, order.id)


def _ours(money: BookingMoney, intent: dict[str, Any]) -> bool:
    """Our intent and a refund on this line since then: the call whose answer we lost landed."""
    at = parse_event_time(intent.get("at"))
    if at is None or intent.get("order_id") != money.order.id:
        return False
    # A refund since our intent; or, with nothing listed yet, the money already back on a one-line order.
    return money.ours_since(at) is not None or (not money.refunds and len(money.order.line_items) <= 1)


def _record_ours(ledger: Ledger, money: BookingMoney, booking_id: str) -> RefundResult:
    """Under the key: the refund found at Wix is the one our lost call made."""
    intent = (ledger.entry(intent_key(booking_id)) or ("", None))[1] or {}
    at = parse_event_time(intent.get("at"))
    record = money.ours_since(at) if at else None
    refund_id = record.id if record else None
    amount = record.amount if record else money.refunded
    ledger.set_result(
        refund_key(booking_id),
        {
            "order_id": money.order.id,
            "refund_id": refund_id,
            "amount": format_amount(amount),
            "recovered": True,
        },
    )
    ledger.forget(intent_key(booking_id))
    log.info("refund.recovered", booking_id=booking_id, order_id=money.order.id, refund_id=refund_id)
    return RefundResult("refunded", amount, money.order.currency, refund_id, money.order.id, ours=True)


def _reported(money: BookingMoney, recorded: dict[str, Any]) -> RefundResult:
    """A refund the ledger says we made, as Wix shows it now: done or pending, or failed."""
    order = money.order
    refund_id = recorded.get("refund_id")
    record = money.refund_named(refund_id)
    base = RefundResult("already_refunded", Decimal(0), order.currency, refund_id, order.id, ours=True)
    if record is not None:
        if record.failed:
            return replace(base, status="refund_failed")
        return replace(base, amount=record.amount)
    if money.refunded > 0:
        return replace(base, amount=money.refunded)
    return replace(base, status="refund_failed")
