"""Fake Wix: eCommerce orders, refundability derived from payments, refunds and transactions."""

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


def build_order(state: FakeState, booking: JsonDict, payments: list[Decimal]) -> JsonDict:
    """An approved order for a booking, paid by one payment per amount."""
    total = sum(payments, Decimal(0))
    state.order_numbers += 1
    order: JsonDict = {
        "id": new_id(),
        "number": str(state.order_numbers),
        "status": "APPROVED",
        "paymentStatus": "PAID",
        "currency": state.currency,
        "lineItems": [
            {
                "id": new_id(),
                "catalogReference": {"catalogItemId": booking["id"], "appId": BOOKINGS_APP_ID},
                "quantity": 1,
                "price": price(total, state.currency),
                "refundQuantity": 0,
            }
        ],
        "priceSummary": {"total": price(total, state.currency)},
        "createdDate": now_iso(),
    }
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
    payments = state.payments[order["id"]]
    fully = all(p["refunded"] >= p["amount"] for p in payments)
    order["paymentStatus"] = "FULLY_REFUNDED" if fully else "PARTIALLY_REFUNDED"
    if fully:
        for line in order["lineItems"]:
            booking = state.bookings.get(line["catalogReference"]["catalogItemId"])
            if booking is not None:
                booking["paymentStatus"] = "REFUNDED"  # inferred: Wix mirrors the order
    return refund


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
