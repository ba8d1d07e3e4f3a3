"""An attempt never outlives its time limit, whatever the pool: the Wix calls it makes check it.

Celery's threads pool (the default) enforces no time limit, and the ledger hands a pending key to
another worker after STUCK_AFTER_SECONDS, so the limit is kept by the calls themselves
(processor/deadline.py).
"""

import httpx
import pytest

from processor import deadline
from processor.wix import WixUnavailableError, make_wix_client
from processor.wix.limiter import RateLimiter

QUERY = "/bookings/v2/services/query"


def test_a_call_made_after_the_attempts_deadline_is_never_sent(wix_client, fake_wix):
    with deadline.running_until(0), pytest.raises(deadline.DeadlineExceeded, match="ran out of time"):
        wix_client.services.query()

    assert not fake_wix.requests_to(QUERY)


def test_a_slow_answer_is_given_up_when_the_attempts_time_is_up_not_at_the_clients_timeout(
    wix_settings, fake_wix
):
    # The client would wait 60 s and the answer comes after 8 s, but the attempt has 0.5 s left.
    client = make_wix_client(wix_settings, timeout=httpx.Timeout(60.0, connect=3.0), limiter=RateLimiter())
    fake_wix.fail_next(QUERY, status=None, delay=8.0)

    with deadline.running_until(0.5), pytest.raises(WixUnavailableError, match="timed out"):
        client.services.query()


def test_outside_an_attempt_calls_keep_the_clients_own_timeout(wix_client, fake_wix):
    assert deadline.remaining() is None
    assert wix_client.services.query().services == ()


def test_the_deadline_is_per_thread_so_one_attempt_does_not_cut_anothers_time():
    import threading

    seen: list[float | None] = []
    with deadline.running_until(100):
        thread = threading.Thread(target=lambda: seen.append(deadline.remaining()))
        thread.start()
        thread.join()
        assert deadline.remaining() is not None

    assert seen == [None]
    assert deadline.remaining() is None
