"""Wix wire values shared by every API: revisions, Money, Price and nested lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from processor.wix.errors import WixBadResponseError

JsonDict = dict[str, Any]
T = TypeVar("T")
# What a model's from_wire raises on an object of the wrong shape: a missing key, a list where an
# object belongs, a revision or amount that is not a number.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def read_entity(body: JsonDict, key: str, build: Callable[[JsonDict], T], call: str) -> T:
    """`build(body[key])` for a 2xx answer; WixBadResponseError when it lacks the promised object."""
    value = body.get(key)
    if not isinstance(value, dict):
        raise WixBadResponseError(f"{call}: the answer has no {key!r} object")
    return _built(build, value, f"{call}: {key!r}")


def read_list(body: JsonDict, key: str, build: Callable[[JsonDict], T], call: str) -> list[T]:
    """Every `build(item)` of `body[key]` (absent = none); WixBadResponseError for another shape."""
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise WixBadResponseError(f"{call}: {key!r} is not a list of objects")
    return [_built(build, item, f"{call}: an item of {key!r}") for item in items]


def read_body(body: JsonDict, build: Callable[[JsonDict], T], call: str) -> T:
    """`build(body)` for an answer that is the object itself; WixBadResponseError on another shape."""
    return _built(build, body, f"{call}: the answer")


def _built(build: Callable[[JsonDict], T], value: JsonDict, where: str) -> T:
    try:
        return build(value)
    except _SHAPE_ERRORS as exc:
        raise WixBadResponseError(
            f"{where} is not shaped as Wix documents it ({type(exc).__name__})"
        ) from None


def dig(raw: Any, *keys: str) -> Any:
    """`raw[k1][k2]…`, or None as soon as a level is missing or not an object."""
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def as_revision(value: Any) -> int | None:
    """A Wix revision (an int64 sent as a decimal string) as an int."""
    if value is None or value == "":
        return None
    return int(value)


def as_decimal(value: Any) -> Decimal | None:
    """A decimal string (or JSON number) as a Decimal; never goes through float arithmetic."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None


def format_amount(amount: Decimal) -> str:
    """An amount as Wix wants it on the wire: a decimal string with two places."""
    return str(amount.quantize(Decimal("0.01")))


@dataclass(frozen=True)
class Money:
    """Services' `Money {value, currency, formattedValue}`."""

    value: Decimal
    currency: str | None = None
    formatted_value: str | None = None
    raw: JsonDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Money:
        value = as_decimal(raw.get("value"))
        return cls(
            value=value if value is not None else Decimal(0),
            currency=raw.get("currency"),
            formatted_value=raw.get("formattedValue"),
            raw=raw,
        )

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {"value": format_amount(self.value)}
        if self.currency:
            wire["currency"] = self.currency
        return wire


def read_price(value: Any) -> Decimal | None:
    """eCommerce `Price {amount, formattedAmount}`, or a bare decimal string (Wix API assumption #21)."""
    if isinstance(value, dict):
        return as_decimal(value.get("amount"))
    return as_decimal(value)
