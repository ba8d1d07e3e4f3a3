"""Wix failures arrive as typed errors: rate limits, 5xx, conflicts, timeouts, dropped connections."""

import httpx
import pytest
from structlog.testing import capture_logs

from processor.wix import (
    WixConflictError,
    WixPermissionError,
    WixPreconditionError,
    WixRateLimitedError,
    WixRejectedError,
    WixUnavailableError,
    make_wix_client,
)
from processor.wix.limiter import RateLimiter

QUERY = "/bookings/v2/services/query"


def test_429_with_retry_after_carries_the_wait(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, status=429, retry_after=7)

    with pytest.raises(WixRateLimitedError) as caught:
        wix_client.services.query()

    assert caught.value.retry_after == 7.0


def test_429_without_retry_after_leaves_the_wait_to_the_caller(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, status=429)

    with pytest.raises(WixRateLimitedError) as caught:
        wix_client.services.query()

    assert caught.value.retry_after is None


def test_500_with_empty_body_is_unavailable_with_its_request_id(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, status=500)

    with pytest.raises(WixUnavailableError) as caught:
        wix_client.services.query()

    assert type(caught.value) is WixUnavailableError
    assert caught.value.code is None
    assert caught.value.request_id


def test_fault_passes_after_its_count(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, status=503, times=2)

    for _ in range(2):
        with pytest.raises(WixUnavailableError):
            wix_client.services.query()

    assert wix_client.services.query().services == ()


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (409, WixConflictError),
        (403, WixPermissionError),
        (428, WixPreconditionError),
        (501, WixRejectedError),
    ],
)
def test_injected_status_maps_to_its_class(wix_client, fake_wix, status, error_class):
    fake_wix.fail_next(QUERY, status=status)

    with pytest.raises(error_class) as caught:
        wix_client.services.query()

    assert caught.value.status == status


def test_slow_answer_times_out_as_unavailable(wix_settings, fake_wix):
    client = make_wix_client(wix_settings, timeout=httpx.Timeout(0.2, connect=3.0), limiter=RateLimiter())
    fake_wix.fail_next(QUERY, status=None, delay=1.0)

    with pytest.raises(WixUnavailableError) as caught:
        client.services.query()

    assert "timed out" in str(caught.value)


def test_dropped_connection_is_unavailable(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, drop=True)

    with pytest.raises(WixUnavailableError):
        wix_client.services.query()


def test_failures_log_the_request_id_but_no_credentials_or_bodies(wix_client, fake_wix):
    fake_wix.fail_next(QUERY, status=409)

    with capture_logs() as logs, pytest.raises(WixConflictError) as caught:
        wix_client.services.query({"name": "secret-filter-value"})

    failure = next(entry for entry in logs if entry["event"] == "wix.call_failed")
    assert failure["wix_request_id"] == caught.value.request_id
    assert fake_wix.api_key not in repr(logs)
    assert "secret-filter-value" not in repr(logs)
