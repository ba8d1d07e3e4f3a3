"""The fake Wix API's plumbing: its state, route table, Wix-shaped errors and query filters."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from processor.devtools.fake_wix_http import HttpAnswer

JsonDict = dict[str, Any]

MEETINGS_APP_ID = "6646a75c-2027-4f49-976c-58f3d713ed0f"
BOOKINGS_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"
STAFF_RESOURCE_TYPE_ID = "1cd44cf8-756f-41c3-bd90-3e2ffcaf1155"


class FakeWixError(Exception):
    """An error answer in one of Wix's two 4xx body forms (or an empty 5xx)."""

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        code: str | None = None,
        violations: list[JsonDict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.violations, self.headers = violations, headers or {}

    def body(self) -> JsonDict | None:
        """Wix's error body; None (empty) for 5xx."""
        if self.status >= 500:
            return None
        if self.violations is not None:
            return {
                "message": self.message,
                "details": {"validationError": {"fieldViolations": self.violations}},
            }
        application = {"code": self.code or "UNKNOWN", "description": self.message, "data": {}}
        return {"message": self.message, "details": {"applicationError": application}}


def invalid_field(field_name: str, description: str) -> FakeWixError:
    """A 400 with one field violation."""
    violation = {
        "field": field_name,
        "description": description,
        "violatedRule": "VALIDATION",
        "ruleName": "",
        "data": {},
    }
    return FakeWixError(400, description, violations=[violation])


@dataclass
class FakeRequest:
    """What a route handler sees of a request."""

    method: str
    path: str
    query: dict[str, list[str]]
    json: Any
    base_url: str

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def body(self) -> JsonDict:
        return self.json if isinstance(self.json, dict) else {}


@dataclass
class FakeState:
    """Everything one fake site holds; mutated only under the server's lock."""

    site_id: str
    instance_id: str
    currency: str = "USD"
    services: dict[str, JsonDict] = field(default_factory=dict)
    staff: dict[str, JsonDict] = field(default_factory=dict)
    bookings: dict[str, JsonDict] = field(default_factory=dict)
    orders: dict[str, JsonDict] = field(default_factory=dict)
    payments: dict[str, list[JsonDict]] = field(default_factory=dict)  # by order id
    refunds: list[JsonDict] = field(default_factory=list)
    connections: dict[str, JsonDict] = field(default_factory=dict)
    pending_oauth: dict[str, JsonDict] = field(default_factory=dict)
    failed_provider_ids: set[str] = field(default_factory=set)
    contributors: list[JsonDict] = field(default_factory=list)
    premium: bool = True
    provisioned: JsonDict | None = None
    order_numbers: int = 10000


Handler = Callable[..., JsonDict]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class RouteTable:
    """Routes matched on the literal path (custom methods keep their colon)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, *paths: str) -> Callable[[Handler], Handler]:
        """Register a handler under one or more path regexes (e.g. both Wix prefixes)."""

        def register(handler: Handler) -> Handler:
            for path in paths:
                self.routes.append(Route(method, re.compile(f"^{path}$"), handler))
            return handler

        return register


def json_copy(value: JsonDict) -> JsonDict:
    """A deep copy of JSON data, several times faster than copy.deepcopy."""
    copied: JsonDict = json.loads(json.dumps(value))
    return copied


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    """Now as Wix writes timestamps: UTC with milliseconds and Z."""
    return to_wix_time(datetime.now(UTC))


def to_wix_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def price(amount: Decimal, currency: str = "USD") -> JsonDict:
    """An eCommerce Price object."""
    text = str(amount.quantize(Decimal("0.01")))
    return {"amount": text, "formattedAmount": f"{text} {currency}"}


def order_for_booking(state: FakeState, booking_id: str) -> JsonDict | None:
    """The order with a line for this booking (catalogItemId = booking id)."""
    for order in state.orders.values():
        if booking_id in field_values(order, "lineItems.catalogReference.catalogItemId"):
            return order
    return None


def bump_revision(entity: JsonDict) -> None:
    entity["revision"] = str(int(entity.get("revision") or 0) + 1)
    entity["updatedDate"] = now_iso()


def check_revision(entity: JsonDict, sent: Any, field_name: str) -> None:
    """Missing → 400 "revision must not be empty"; stale → 409, as Wix answers."""
    if sent is None or sent == "":
        raise invalid_field(field_name, "revision must not be empty")
    if int(sent) != int(entity.get("revision") or 0):
        raise FakeWixError(
            409,
            f"revision mismatch: sent {sent}, current {entity.get('revision')}",
            code="REVISION_MISMATCH",
        )


def field_values(entity: Any, dotted: str) -> list[Any]:
    """Every value at a dotted path, fanning out over lists (`lineItems.catalogReference.x`)."""
    values = [entity]
    for key in dotted.split("."):
        found: list[Any] = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            found.extend(item[key] for item in items if isinstance(item, dict) and key in item)
        values = found
    return [v for value in values for v in (value if isinstance(value, list) else [value])]


def matches(entity: JsonDict, query_filter: JsonDict | None) -> bool:
    """Wix filter semantics for the operators our client sends."""
    for key, condition in (query_filter or {}).items():
        if key == "$and":
            if not all(matches(entity, f) for f in condition):
                return False
            continue
        if key == "$or":
            if not any(matches(entity, f) for f in condition):
                return False
            continue
        values = field_values(entity, key.replace("bookedEntity.item.", "bookedEntity."))
        if not _condition_holds(values, condition):
            return False
    return True


def _condition_holds(values: list[Any], condition: Any) -> bool:
    if not isinstance(condition, dict):
        return condition in values
    checks = {
        "$eq": lambda v: v in values,
        "$ne": lambda v: v not in values,
        "$in": lambda v: any(x in values for x in v),
        "$hasSome": lambda v: any(x in values for x in v),
        "$hasAll": lambda v: all(x in values for x in v),
        "$gt": lambda v: any(x > v for x in values),
        "$gte": lambda v: any(x >= v for x in values),
        "$lt": lambda v: any(x < v for x in values),
        "$lte": lambda v: any(x <= v for x in values),
    }
    return all(checks[op](operand) for op, operand in condition.items() if op in checks)


def reason(status: int) -> str:
    """The message of an injected failure."""
    return {429: "Too many requests", 409: "Revision mismatch"}.get(status, f"Fake failure {status}")


def code(status: int) -> str:
    """The applicationError code of an injected failure."""
    return {429: "TOO_MANY_REQUESTS", 409: "REVISION_MISMATCH"}.get(status, "FAKE_FAILURE")


def json_answer(body: JsonDict, status: int = 200) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(body, default=str).encode(), {"Content-Type": "application/json"})


def error_answer(exc: FakeWixError) -> HttpAnswer:
    body = exc.body()
    if body is None:
        return HttpAnswer(exc.status, b"", dict(exc.headers))
    return HttpAnswer(
        exc.status, json.dumps(body).encode(), {**exc.headers, "Content-Type": "application/json"}
    )
