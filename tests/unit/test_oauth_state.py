"""The calendar OAuth state: signed with SECRET_KEY, bound to site, schedule, nonce and issue time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from processor.meetings.oauth_state import (
    STATE_LIFETIME,
    OAuthReturnRefusedError,
    issue_state,
    read_state,
)

KEY = "unit-test-secret-key-0123456789abcdef"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _refusal(token: str | None, *, key: str = KEY, now: datetime = NOW) -> str:
    with pytest.raises(OAuthReturnRefusedError) as refused:
        read_state(key, token, now=now)
    return refused.value.kind


def test_a_state_reads_back_as_issued():
    token, issued = issue_state(KEY, instance_id="site-1", schedule_id="sched-1", now=NOW)

    state = read_state(KEY, token, now=NOW + timedelta(hours=1))

    assert state == issued
    assert (state.instance_id, state.schedule_id, state.issued_at) == ("site-1", "sched-1", NOW)
    assert state.ledger_key == f"oauth-state:{state.nonce}"
    assert state.expires_at == NOW + timedelta(hours=72) == NOW + STATE_LIFETIME


def test_every_state_has_its_own_nonce():
    first, _ = issue_state(KEY, instance_id="s", schedule_id="h", now=NOW)
    second, _ = issue_state(KEY, instance_id="s", schedule_id="h", now=NOW)

    assert read_state(KEY, first, now=NOW).nonce != read_state(KEY, second, now=NOW).nonce


def test_it_lives_72_hours_to_the_second():
    token, _ = issue_state(KEY, instance_id="s", schedule_id="h", now=NOW)

    assert read_state(KEY, token, now=NOW + STATE_LIFETIME).instance_id == "s"
    assert _refusal(token, now=NOW + STATE_LIFETIME + timedelta(seconds=1)) == "expired"


def test_a_state_from_the_future_beyond_clock_skew_is_refused():
    token, _ = issue_state(KEY, instance_id="s", schedule_id="h", now=NOW + timedelta(minutes=6))

    assert _refusal(token) == "invalid"


@pytest.mark.parametrize("token", [None, ""])
def test_no_state_is_missing(token):
    assert _refusal(token) == "missing"


def test_forged_states_are_invalid():
    token, _ = issue_state(KEY, instance_id="s", schedule_id="h", now=NOW)
    payload, signature = token.split(".")

    assert _refusal(token, key="another-deployment-key-0123456789abcdef") == "invalid"
    assert _refusal("eyJpIjoieCJ9." + signature) == "invalid"
    assert _refusal(payload + "." + signature[::-1]) == "invalid"
    assert _refusal("x" * 2000) == "invalid"


@pytest.mark.parametrize(
    "payload",
    [
        ["s", "h"],
        {"i": "s", "s": "h", "n": "n"},
        {"i": "s", "s": "", "n": "n", "t": 1},
        {"i": 1, "s": "h", "n": "n", "t": 1},
    ],
)
def test_a_signed_payload_that_is_not_a_state_is_invalid(payload):
    serializer = URLSafeSerializer(
        KEY, salt="wix-meetings.calendar-oauth-state.v1", signer_kwargs={"digest_method": hashlib.sha256}
    )

    assert _refusal(serializer.dumps(payload)) == "invalid"
