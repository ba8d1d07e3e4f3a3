"""eCommerce orders: find a booking's order, read its refundability, refund, list transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from processor.wix.bookings import BookingsApi
from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, dig, format_amount, read_body, read_entity, read_list, read_price

ORDERS_PATH = "/ecom/v1/orders"
BILLING_PATH = "/ecom/v1/order-billing"


@dataclass(frozen=True)
class LineItem:
    """An order line; a booking's line has `catalog_item_id` = the booking id."""

    id: str
    catalog_item_id: str | None
    app_id: str | None
    quantity: int
    price: Decimal | None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> LineItem:
        return cls(
            id=raw["id"],
            catalog_item_id=dig(raw, "catalogReference", "catalogItemId"),
            app_id=dig(raw, "catalogReference", "appId"),
            quantity=int(raw.get("quantity") or 1),
            price=read_price(raw.get("price")),
        )

    @property
    def total(self) -> Decimal | None:
        """What this line cost: price * quantity (None when Wix gave no price)."""
        return None if self.price is None else self.price * self.quantity


@dataclass(frozen=True)
class Order:
    """An eCommerce order."""

    id: str
    number: str | None
    status: str | None
    payment_status: str | None
    currency: str | None
    line_items: tuple[LineItem, ...]
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Order:
        number = raw.get("number")
        return cls(
            id=raw["id"],
            number=str(number) if number is not None else None,
            status=raw.get("status"),
            payment_status=raw.get("paymentStatus"),
            currency=raw.get("currency"),
            line_items=tuple(LineItem.from_wire(li) for li in raw.get("lineItems") or ()),
            raw=raw,
        )

    def line_for_booking(self, booking_id: str) -> LineItem | None:
        # Wix API assumption #15: match on catalogItemId only, never catalogReference.appId.
        return next((li for li in self.line_items if li.catalog_item_id == booking_id), None)


@dataclass(frozen=True)
class PaymentRefundability:
    """One payment of Get Order Refundability, with its amounts as Decimals."""

    payment_id: str
    payment_method: str | None
    refundable: bool
    manually_refundable_reason: str | None
    non_refundable_reason: str | None
    paid: Decimal
    refunded: Decimal
    refund_pending: Decimal
    max_refund: Decimal | None

    @classmethod
    def from_wire(cls, raw: JsonDict) -> PaymentRefundability:
        payment = raw.get("payment") or {}
        monetary = payment.get("monetary") or {}
        return cls(
            payment_id=payment["paymentId"],
            payment_method=payment.get("paymentMethod"),
            refundable=raw.get("refundable") is True,
            manually_refundable_reason=dig(raw, "manuallyRefundable", "reason"),
            non_refundable_reason=dig(raw, "nonRefundable", "reason"),
            paid=read_price(monetary.get("paid")) or Decimal(0),
            refunded=read_price(monetary.get("refunded")) or Decimal(0),
            refund_pending=read_price(monetary.get("refundPending")) or Decimal(0),
            max_refund=read_price(monetary.get("maxRefund")),
        )

    @property
    def remaining_refund(self) -> Decimal:
        """What we may still refund: min(paid - refunded - pending, maxRefund), never negative."""
        if not self.refundable:
            return Decimal(0)
        left = self.paid - self.refunded - self.refund_pending
        if self.max_refund is not None:
            left = min(left, self.max_refund)
        return max(left, Decimal(0))


@dataclass(frozen=True)
class Refundability:
    """Get Order Refundability."""

    payments: tuple[PaymentRefundability, ...]
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Refundability:
        return cls(tuple(PaymentRefundability.from_wire(p) for p in raw.get("payments") or ()), raw)


@dataclass(frozen=True)
class PaymentRefund:
    """One `paymentRefunds` entry of Refund Payments."""

    payment_id: str
    amount: Decimal
    external_refund: bool = False

    def to_wire(self) -> JsonDict:
        return {
            "paymentId": self.payment_id,
            "amount": {"amount": format_amount(self.amount)},
            "externalRefund": self.external_refund,
        }


@dataclass(frozen=True)
class Refund:
    """A refund Wix created, with each transaction's `refundStatus`."""

    id: str
    statuses: tuple[str, ...]
    created_date: str | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Refund:
        statuses = tuple(t.get("refundStatus", "") for t in raw.get("transactions") or ())
        return cls(raw["id"], statuses, raw.get("createdDate"), raw)


@dataclass(frozen=True)
class RefundRecord:
    """One refund as List Transactions shows it now: what it gives back and which lines it names."""

    id: str
    created_date: str | None
    statuses: tuple[str, ...]
    amount: Decimal  # over its transactions that did not fail (pending ones included)
    line_item_ids: tuple[str, ...]  # empty: the refund names no line

    @classmethod
    def from_wire(cls, raw: JsonDict) -> RefundRecord:
        transactions = [t for t in raw.get("transactions") or () if isinstance(t, dict)]
        items = dig(raw, "details", "items") or ()
        return cls(
            id=str(raw.get("id") or ""),
            created_date=raw.get("createdDate"),
            statuses=tuple(str(t.get("refundStatus") or "") for t in transactions),
            amount=sum(
                (
                    read_price(t.get("amount")) or Decimal(0)
                    for t in transactions
                    if t.get("refundStatus") != "FAILED"
                ),
                Decimal(0),
            ),
            line_item_ids=tuple(
                str(i["lineItemId"]) for i in items if isinstance(i, dict) and i.get("lineItemId")
            ),
        )

    @property
    def failed(self) -> bool:
        """Every transaction of the refund failed: no money went back."""
        return bool(self.statuses) and all(s == "FAILED" for s in self.statuses)


@dataclass(frozen=True)
class OrderTransactions:
    """List Transactions: an order's payments and refunds, raw, and its refunds read."""

    order_id: str
    payments: tuple[JsonDict, ...]
    refunds: tuple[JsonDict, ...]

    @classmethod
    def from_wire(cls, raw: JsonDict) -> OrderTransactions:
        return cls(raw.get("orderId", ""), tuple(raw.get("payments") or ()), tuple(raw.get("refunds") or ()))

    def refund_records(self) -> tuple[RefundRecord, ...]:
        """Each refund with an id, as RefundRecords."""
        return tuple(RefundRecord.from_wire(r) for r in self.refunds if isinstance(r, dict) and r.get("id"))


class OrdersApi:
    """eCommerce order and order-billing calls."""

    def __init__(self, transport: WixTransport, bookings: BookingsApi) -> None:
        self._transport = transport
        self._bookings = bookings

    def find_for_booking(self, booking_id: str) -> Order | None:
        """The booking's order: via Query Extended Bookings, else Search Orders by catalogItemId."""
        extended = self._bookings.get_extended(booking_id, with_allowed_actions=False)
        if extended is not None and extended.order is not None:
            return self.get(extended.order.id)
        found = self.search_by_booking(booking_id)
        return found[0] if found else None

    def search_by_booking(self, booking_id: str) -> list[Order]:
        """Orders with a line for this booking."""
        search = {
            "filter": {"lineItems.catalogReference.catalogItemId": {"$hasSome": [booking_id]}},
            "cursorPaging": {"limit": 10},
        }
        body = self._transport.call("POST", f"{ORDERS_PATH}/search", json={"search": search})
        return read_list(body, "orders", Order.from_wire, "Search Orders")

    def get(self, order_id: str) -> Order:
        """One order."""
        answer = self._transport.call("GET", f"{ORDERS_PATH}/{segment(order_id, 'order id')}")
        return read_entity(answer, "order", Order.from_wire, "Get Order")

    def refundability(self, order_id: str) -> Refundability:
        """Which payments can be refunded, and how much (re-read before every refund)."""
        path = f"{BILLING_PATH}/get-order-refundability"
        answer = self._transport.call("POST", path, json={"orderId": order_id})
        return read_body(answer, Refundability.from_wire, "Get Order Refundability")

    def refund(
        self,
        order_id: str,
        payment_refunds: list[PaymentRefund],
        *,
        line_item_id: str | None = None,
        line_quantity: int = 1,
        notify_customer: bool = True,
        custom_message: str | None = None,
        customer_reason: str | None = None,
    ) -> Refund:
        """Refund Payments. Not idempotent: call under a ledger key, after re-reading refundability."""
        notifications: JsonDict = {"sendCustomerEmail": notify_customer}
        if custom_message:
            notifications["customMessage"] = custom_message
        body: JsonDict = {
            "orderId": order_id,
            "paymentRefunds": [r.to_wire() for r in payment_refunds],
            "sideEffects": {"notifications": notifications},
        }
        if line_item_id:
            body["refundItems"] = {"lineItems": [{"lineItemId": line_item_id, "quantity": line_quantity}]}
        if customer_reason:
            body["customerReason"] = customer_reason
        answer = self._transport.call("POST", f"{BILLING_PATH}/refund-payments", json=body)
        return read_entity(answer, "refund", Refund.from_wire, "Refund Payments")

    def transactions(self, order_id: str) -> OrderTransactions:
        """The order's payments and refunds."""
        body = self._transport.call("GET", f"/ecom/v1/payments/orders/{segment(order_id, 'order id')}")
        if body.get("orderTransactions") is None:
            body["orderTransactions"] = {}  # none yet
        return read_entity(body, "orderTransactions", OrderTransactions.from_wire, "List Transactions")
