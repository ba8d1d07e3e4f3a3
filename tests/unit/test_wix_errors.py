"""Wix answers map to the WixError tree; Retry-After is read in both of its forms."""

from datetime import UTC, datetime

import httpx
import pytest

from processor.wix.errors import (
    WixConflictError,
    WixNotFoundError,
    WixPermissionError,
    WixPreconditionError,
    WixRateLimitedError,
    WixRejectedError,
    WixUnavailableError,
    WixValidationError,
    error_from_response,
    parse_retry_after,
)

APPLICATION_ERROR = {
    "message": "Booking not found",
    "details": {"applicationError": {"code": "BOOKING_NOT_FOUND", "description": "no such", "data": {}}},
}
VALIDATION_ERROR = {
    "message": "revision must not be empty",
    "details": {
        "validationError": {
            "fieldViolations": [
                {
                    "field": "service.revision",
                    "description": "must not be empty",
                    "violatedRule": "REQUIRED_FIELD",
                    "ruleName": "",
                    "data": {},
                }
            ]
        }
    },
}


def answer(status: int, body: dict | None = None, **headers: str) -> httpx.Response:
    return (
        httpx.Response(status, json=body, headers=headers)
        if body
        else httpx.Response(status, headers=headers)
    )


def test_retry_after_in_seconds():
    assert parse_retry_after("30") == 30.0


def test_retry_after_as_http_date():
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Mon, 02 Mar 2026 09:01:30 GMT", now=now) == 90.0


@pytest.mark.parametrize("value", [None, "", "soon"])
def test_retry_after_absent_or_unreadable_is_none(value):
    assert parse_retry_after(value) is None


def test_retry_after_in_the_past_is_zero():
    assert parse_retry_after("-5") == 0.0


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, WixValidationError),
        (401, WixPermissionError),
        (403, WixPermissionError),
        (404, WixNotFoundError),
        (409, WixConflictError),
        (428, WixPreconditionError),
        (429, WixRateLimitedError),
        (500, WixUnavailableError),
        (501, WixRejectedError),
        (503, WixUnavailableError),
        (504, WixUnavailableError),
    ],
)
def test_each_status_has_its_error_class(status, error_class):
    error = error_from_response(answer(status))

    assert type(error) is error_class
    assert error.status == status


def test_rate_limit_is_a_kind_of_unavailable_and_rejections_are_permanent():
    assert issubclass(WixRateLimitedError, WixUnavailableError)
    for permanent in (WixNotFoundError, WixPermissionError, WixValidationError, WixPreconditionError):
        assert issubclass(permanent, WixRejectedError)
    assert not issubclass(WixConflictError, WixRejectedError)


def test_application_error_body_gives_code_message_and_request_id():
    error = error_from_response(answer(404, APPLICATION_ERROR, **{"x-wix-request-id": "req-1"}))

    assert (error.code, error.message, error.request_id) == (
        "BOOKING_NOT_FOUND",
        "Booking not found",
        "req-1",
    )
    assert "req-1" in str(error)


def test_validation_error_body_gives_field_violations():
    error = error_from_response(answer(400, VALIDATION_ERROR))

    assert isinstance(error, WixValidationError)
    assert [v.field for v in error.field_violations] == ["service.revision"]
    assert error.field_violations[0].violated_rule == "REQUIRED_FIELD"
    assert "service.revision" in str(error)


def test_empty_5xx_body_is_tolerated():
    error = error_from_response(answer(503))

    assert error.code is None
    assert error.message


def test_rate_limit_carries_retry_after_or_none():
    assert error_from_response(answer(429, **{"Retry-After": "7"})).retry_after == 7.0
    assert error_from_response(answer(429)).retry_after is None
