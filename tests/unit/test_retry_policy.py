"""What a failure means: retry with backoff and jitter, honour hints, or give up."""

from __future__ import annotations

import random

from processor.config import load_settings
from processor.devtools.keys import generate_key_pair
from processor.wix.errors import WixRateLimitedError, WixRejectedError, WixUnavailableError
from workers.flows import PermanentFailure, RetryLater
from workers.retry_policy import backoff_seconds, decide

SETTINGS = load_settings({"WIX_PUBLIC_KEY": generate_key_pair()[1], "MAX_ATTEMPTS": "8"})


def test_backoff_doubles_per_failure_with_jitter_and_a_ceiling():
    rng = random.Random(7)

    delays = [backoff_seconds(n, SETTINGS, rng) for n in range(1, 12)]

    for n, delay in enumerate(delays, start=1):
        ceiling = min(21600, 30 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_transient_errors_retry_and_the_last_attempt_gives_up():
    assert decide(WixUnavailableError("503"), failures=1, settings=SETTINGS).retry_in is not None
    last = decide(WixUnavailableError("503"), failures=8, settings=SETTINGS)
    assert last.is_dead
    assert "gave up after 8 attempts" in last.reason


def test_permanent_errors_are_dead_at_once():
    assert decide(PermanentFailure("no"), failures=1, settings=SETTINGS).is_dead
    assert decide(WixRejectedError("validation"), failures=1, settings=SETTINGS).is_dead


def test_retry_after_hints_are_honoured_and_rate_limits_wait_at_least_a_minute():
    assert decide(RetryLater("x", retry_after=900), failures=1, settings=SETTINGS).retry_in >= 900
    hinted = WixRateLimitedError("429")
    hinted.retry_after = 120.0
    assert decide(hinted, failures=1, settings=SETTINGS).retry_in >= 120
    unhinted = WixRateLimitedError("429")
    unhinted.retry_after = None
    assert decide(unhinted, failures=1, settings=SETTINGS).retry_in >= 60
