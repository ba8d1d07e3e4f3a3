"""Fake Wix: eCommerce orders (a booking alone or in a cart), refundability derived from payments, refunds
with their transactions' statuses (one may fail later), and List Transactions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from processor.devtools.fake_wix_core import (
    BOOKINGS_APP_ID,
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    matches,
    new_id,
    now_iso,
    price,
)

routes = RouteTable()


STORES_APP_ID = "215238eb-22a5-4c36-9e7b-e7c08025e04e"


def build_order(
    state: FakeState, booking: JsonDict, payments: list[Decimal], other_items: list[Decimal] | None = None
) -> JsonDict:
    """An approved order for a booking (its line costs the payments' sum), paid by one payment per amount.

    `other_items` puts the booking in a cart: one more line per price, paid by the first payment."""
    line_price = sum(payments, Decimal(0))
    others = list(other_items or [])
    total = line_price + sum(others, Decimal(0))
    state.order_numbers += 1
    lines = [_line(booking["id"], BOOKINGS_APP_ID, line_price, state.currency)]
    lines += [_line(new_id(), STORES_APP_ID, amount, state.currency) for amount in others]
    order: JsonDict = {
        "id": new_id(),
        "number": str(state.order_numbers),
        "status": "APPROVED",
        "paymentStatus": "PAID",
        "currency": state.currency,
        "lineItems": lines,
        "priceSummary": {"total": price(total, state.currency)},
        "createdDate": now_iso(),
    }
    if others and payments:
        payments = [payments[0] + sum(others, Decimal(0)), *payments[1:]]
    state.orders[order["id"]] = order
    state.payments[order["id"]] = [
        {
            "paymentId": new_id(),
            "paymentMethod": "CREDIT_CARD",
            "amount": amount,
            "refunded": Decimal(0),
            "refundPending": Decimal(0),
        }
        for amount in payments
    ]
    return order


def _line(catalog_item_id: str, app_id: str, amount: Decimal, currency: str) -> JsonDict:
    return {
        "id": new_id(),
        "catalogReference": {"catalogItemId": catalog_item_id, "appId": app_id},
        "quantity": 1,
        "price": price(amount, currency),
        "refundQuantity": 0,
    }


def fail_refund(state: FakeState, refund_id: str) -> None:
    """A refund failing at Wix after it was accepted: its transactions FAILED, the money refundable again."""
    refund = next(r for r in state.refunds if r["id"] == refund_id)
    payments = {p["paymentId"]: p for p in state.payments[refund["orderId"]]}
    for transaction in refund["transactions"]:
        if transaction["refundStatus"] != "FAILED":
            transaction["refundStatus"] = "FAILED"
            payments[transaction["paymentId"]]["refunded"] -= Decimal(transaction["amount"]["amount"])
    refund["summary"]["refunded"] = price(Decimal(0), state.orders[refund["orderId"]]["currency"])
    _update_payment_status(state, state.orders[refund["orderId"]])


def _order_or_404(state: FakeState, order_id: str) -> JsonDict:
    if order_id not in state.orders:
        raise FakeWixError(404, f"order {order_id} not found", code="ORDER_NOT_FOUND")
    return state.orders[order_id]


@routes.add("POST", "/ecom/v1/orders/search")
def search_orders(state: FakeState, req: FakeRequest) -> JsonDict:
    search = req.body.get("search") or {}
    limit = int((search.get("cursorPaging") or {}).get("limit") or 50)
    found = [o for o in state.orders.values() if matches(o, search.get("filter"))][:limit]
    return {"orders": found, "metadata": {"count": len(found), "cursors": {}, "hasNext": False}}


@routes.add("GET", "/ecom/v1/orders/(?P<order_id>[^/]+)")
def get_order(state: FakeState, req: FakeRequest, order_id: str) -> JsonDict:
    return {"order": _order_or_404(state, order_id)}


def _refundability(state: FakeState, order: JsonDict) -> JsonDict:
    currency, payments = order["currency"], []
    for payment in state.payments[order["id"]]:
        left = payment["amount"] - payment["refunded"] - payment["refundPending"]
        item: JsonDict = {
            "payment": {
                "paymentId": payment["paymentId"],
                "paymentMethod": payment["paymentMethod"],
                "offlinePayment": False,
                "monetary": {
                    "paid": price(payment["amount"], currency),
                    "refunded": price(payment["refunded"], currency),
                    "refundPending": price(payment["refundPending"], currency),
                    "maxRefund": price(max(left, Decimal(0)), currency),
                },
            },
            "providerLink": None,
        }
        if left > 0:
            item["refundable"] = True
        else:
            item["nonRefundable"] = {"reason": "ALREADY_REFUNDED"}
        payments.append(item)
    return {"payments": payments, "paymentsSummary": {}, "lineItems": order["lineItems"]}


@routes.add("POST", "/ecom/v1/order-billing/get-order-refundability")
def get_order_refundability(state: FakeState, req: FakeRequest) -> JsonDict:
    return _refundability(state, _order_or_404(state, req.body.get("orderId") or ""))


def _amount(raw: object) -> Decimal:
    value = raw.get("amount") if isinstance(raw, dict) else None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FakeWixError(400, "invalid refund amount", code="INVALID_PAYMENT_REFUND_AMOUNT") from None


@routes.add("POST", "/ecom/v1/order-billing/refund-payments")
def refund_payments(state: FakeState, req: FakeRequest) -> JsonDict:
    order = _order_or_404(state, req.body.get("orderId") or "")
    by_id = {p["paymentId"]: p for p in state.payments[order["id"]]}
    planned = []
    for item in req.body.get("paymentRefunds") or ():
        payment = by_id.get(item.get("paymentId"))
        if payment is None:
            raise FakeWixError(404, "payment not found", code="PAYMENT_NOT_FOUND")
        amount = _amount(item.get("amount"))
        left = payment["amount"] - payment["refunded"] - payment["refundPending"]
        if amount <= 0 or amount > left:
            raise FakeWixError(
                400,
                f"refund of {amount} exceeds the refundable {left}",
                code="INVALID_PAYMENT_REFUND_AMOUNT",
            )
        planned.append((payment, amount, bool(item.get("externalRefund"))))
    if not planned:
        raise FakeWixError(400, "nothing to refund", code="INVALID_PAYMENT_REFUND_AMOUNT")
    for payment, amount, _ in planned:
        payment["refunded"] += amount
    refund = _record_refund(state, order, req, planned)
    return {"refund": refund, "orderTransactions": _transactions(state, order)}


def _record_refund(
    state: FakeState, order: JsonDict, req: FakeRequest, planned: list[tuple[JsonDict, Decimal, bool]]
) -> JsonDict:
    currency = order["currency"]
    total = sum((amount for _, amount, _ in planned), Decimal(0))
    refund = {
        "id": new_id(),
        "transactions": [
            {
                "paymentId": p["paymentId"],
                "amount": price(amount, currency),
                "refundStatus": "SUCCEEDED",
                "externalRefund": external,
            }
            for p, amount, external in planned
        ],
        "details": {
            "items": (req.body.get("refundItems") or {}).get("lineItems", []),
            "reason": req.body.get("customerReason"),
        },
        "summary": {"requestedRefund": price(total, currency), "refunded": price(total, currency)},
        "createdDate": now_iso(),
    }
    state.refunds.append({**refund, "orderId": order["id"], "request": req.body})
    _update_payment_status(state, order)
    return refund


def _update_payment_status(state: FakeState, order: JsonDict) -> None:
    payments = state.payments[order["id"]]
    fully = all(p["refunded"] >= p["amount"] for p in payments)
    partly = any(p["refunded"] > 0 for p in payments)
    order["paymentStatus"] = "FULLY_REFUNDED" if fully else "PARTIALLY_REFUNDED" if partly else "PAID"
    for line in order["lineItems"]:
        booking = state.bookings.get(line["catalogReference"]["catalogItemId"])
        if booking is not None:  # inferred: Wix mirrors the order
            booking["paymentStatus"] = "REFUNDED" if fully else "PAID"


def _transactions(state: FakeState, order: JsonDict) -> JsonDict:
    currency = order["currency"]
    payments = [
        {
            "id": p["paymentId"],
            "amount": price(p["amount"], currency),
            "refundDisabled": False,
            "regularPaymentDetails": {"status": "APPROVED", "paymentMethod": p["paymentMethod"]},
        }
        for p in state.payments[order["id"]]
    ]
    refunds = [
        {k: v for k, v in r.items() if k not in ("orderId", "request")}
        for r in state.refunds
        if r["orderId"] == order["id"]
    ]
    return {"orderId": order["id"], "payments": payments, "refunds": refunds}


@routes.add("GET", "/ecom/v1/payments/orders/(?P<order_id>[^/]+)")
def list_transactions(state: FakeState, req: FakeRequest, order_id: str) -> JsonDict:
    return {"orderTransactions": _transactions(state, _order_or_404(state, order_id))}
