"""The WixError tree: one class per way a Wix call can fail, so callers catch by category."""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class WixError(Exception):
    """Any failed Wix call."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else None, self.code, self.message]
        text = ": ".join(p for p in parts if p)
        return f"{text} (x-wix-request-id {self.request_id})" if self.request_id else text


class WixUnavailableError(WixError):
    """5xx, timeout or connection failure: retry with backoff (outcome of writes unknown)."""


class WixBadResponseError(WixUnavailableError):
    """A 2xx answer without what the call promises (`{"connection"}` missing or not an object, an
    entity without its id, a body that is not JSON): Wix misbehaving, so retryable like a 5xx."""


class WixRateLimitedError(WixUnavailableError):
    """429: retry no sooner than `retry_after` seconds; None means wait at least 60 s."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class WixConflictError(WixError):
    """409, usually a stale revision: re-read, re-decide, retry a bounded number of times."""


class WixRejectedError(WixError):
    """A permanent refusal (4xx other than 409/429, or 501): dead at once, with the reason."""


class WixNotFoundError(WixRejectedError):
    """404: the entity is gone (or the path is wrong)."""


class WixInvalidIdError(WixNotFoundError):
    """An id that cannot name a Wix entity (empty, too long, control characters, `.`/`..`), refused
    before any request: no entity has it, so callers treat it as not found (CLI exit 2, flows
    `skipped` where a missing entity is, else `dead`). Never sent, so a path cannot be rewritten."""


class WixPermissionError(WixRejectedError):
    """401 after a token refresh, or 403: missing permission, premium feature or credentials."""


class WixValidationError(WixRejectedError):
    """400: invalid argument; `field_violations` lists the offending fields when Wix names them."""

    def __init__(
        self,
        message: str,
        *,
        field_violations: tuple[FieldViolation, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_violations = field_violations

    def __str__(self) -> str:
        fields = ", ".join(v.field for v in self.field_violations if v.field)
        return f"{super().__str__()} [fields: {fields}]" if fields else super().__str__()


class WixPreconditionError(WixRejectedError):
    """428: app not installed, connection not connected, and similar failed preconditions."""


@dataclass(frozen=True)
class FieldViolation:
    """One entry of a Wix `validationError.fieldViolations` list."""

    field: str | None
    description: str | None
    violated_rule: str | None = None
    rule_name: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> FieldViolation:
        return cls(
            field=raw.get("field"),
            description=raw.get("description"),
            violated_rule=raw.get("violatedRule"),
            rule_name=raw.get("ruleName"),
            data=raw.get("data") or {},
        )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpAnswer(Protocol):
    """What an error is read from: `stdlib_http.Answer` (or an httpx.Response, in the tests)."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason_phrase(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


def error_from_response(response: HttpAnswer) -> WixError:
    """The typed error for a non-2xx Wix answer; reads both 4xx body forms, tolerates empty 5xx."""
    status = response.status_code
    message, code, violations = _read_error_body(response)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": response.headers.get("x-wix-request-id"),
    }
    message = message or response.reason_phrase or f"HTTP {status}"
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return WixRateLimitedError(message, retry_after=retry_after, **kwargs)
    if status == 409:
        return WixConflictError(message, **kwargs)
    if status == 400:
        return WixValidationError(message, field_violations=violations, **kwargs)
    if status in (401, 403):
        return WixPermissionError(message, **kwargs)
    if status == 404:
        return WixNotFoundError(message, **kwargs)
    if status == 428:
        return WixPreconditionError(message, **kwargs)
    if status == 501 or 400 <= status < 500:
        return WixRejectedError(message, **kwargs)
    return WixUnavailableError(message, **kwargs)


def _read_error_body(
    response: HttpAnswer,
) -> tuple[str | None, str | None, tuple[FieldViolation, ...]]:
    try:
        body = json.loads(response.content) if response.content else {}
    except ValueError:
        return None, None, ()
    if not isinstance(body, dict):
        return None, None, ()
    details: dict[str, Any] = body["details"] if isinstance(body.get("details"), dict) else {}
    application = details.get("applicationError") or {}
    validation = details.get("validationError") or {}
    violations = tuple(
        FieldViolation.from_wire(v) for v in validation.get("fieldViolations") or () if isinstance(v, dict)
    )
    message = body.get("message") or application.get("description")
    return message, application.get("code"), violations
