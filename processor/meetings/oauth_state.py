"""The OAuth `state` of a calendar connection (RFC 6749 §10.12): what `calendars connect` puts in the
return URL it gives Wix, and what the return page insists on before it calls Wix or writes anything.

A state is signed with SECRET_KEY (itsdangerous, HMAC-SHA256, a salt of its own) and binds the site
(instance id), the host's schedule id, a random nonce and the time it was issued. It is good for
STATE_LIFETIME and for one return: the nonce is recorded in the ledger as `oauth-state:<nonce>`
when a return is accepted. So a forged link, one for another site or host, an old one and a used
one are all refused without a call to Wix.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from processor.meetings.errors import MeetingsError

STATE_LIFETIME = timedelta(hours=72)  # a host may open the link a few days after it was sent
CLOCK_SKEW = timedelta(minutes=5)  # hosts that issue and hosts that verify may disagree a little
MAX_STATE_LENGTH = 1000
_SALT = "wix-meetings.calendar-oauth-state.v1"


class OAuthReturnRefusedError(MeetingsError):
    """A return to the page that must change nothing; `kind` says why, for the page and the log.

    Kinds: `missing` (no state), `invalid` (not signed by us, or not a state), `expired`, `site`
    (not a site this processor serves), `used` (its nonce was accepted before), `foreign` (the
    connection belongs to another host's schedule).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class OAuthState:
    """What a verified state says."""

    instance_id: str
    schedule_id: str
    nonce: str
    issued_at: datetime

    @property
    def ledger_key(self) -> str:
        """The ledger key recording that this state was used."""
        return f"oauth-state:{self.nonce}"

    @property
    def expires_at(self) -> datetime:
        return self.issued_at + STATE_LIFETIME


def _serializer(secret_key: str) -> URLSafeSerializer:
    if not secret_key:
        raise ValueError("no SECRET_KEY: load the settings with load_settings()")
    return URLSafeSerializer(secret_key, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def issue_state(
    secret_key: str, *, instance_id: str, schedule_id: str, now: datetime
) -> tuple[str, OAuthState]:
    """A new signed state for this site and host schedule, and what it says."""
    state = OAuthState(instance_id, schedule_id, secrets.token_urlsafe(16), now.replace(microsecond=0))
    payload = {"i": instance_id, "s": schedule_id, "n": state.nonce, "t": int(state.issued_at.timestamp())}
    return _serializer(secret_key).dumps(payload), state


def read_state(secret_key: str, token: str | None, *, now: datetime) -> OAuthState:
    """The state behind `token`, verified and in date; OAuthReturnRefusedError otherwise."""
    if not token:
        raise OAuthReturnRefusedError("missing", "the return carries no OAuth state")
    if len(token) > MAX_STATE_LENGTH:
        raise OAuthReturnRefusedError("invalid", "the OAuth state is too long to be ours")
    try:
        payload: Any = _serializer(secret_key).loads(token)
    except BadData:
        raise OAuthReturnRefusedError("invalid", "the OAuth state is not signed with our key") from None
    state = _from_payload(payload)
    if state.issued_at > now + CLOCK_SKEW:
        raise OAuthReturnRefusedError("invalid", "the OAuth state was issued in the future")
    if now > state.expires_at:
        raise OAuthReturnRefusedError("expired", f"the OAuth state expired at {state.expires_at.isoformat()}")
    return state


def _from_payload(payload: Any) -> OAuthState:
    """Signed by us, so well formed unless the format changed; checked anyway, never trusted blindly."""
    if not isinstance(payload, dict):
        raise OAuthReturnRefusedError("invalid", "the OAuth state is not one this processor makes")
    instance_id, schedule_id, nonce, issued = (payload.get(k) for k in ("i", "s", "n", "t"))
    texts = (instance_id, schedule_id, nonce)
    if not all(isinstance(t, str) and t for t in texts) or type(issued) is not int:
        raise OAuthReturnRefusedError("invalid", "the OAuth state is not one this processor makes")
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, ValueError, OSError):
        raise OAuthReturnRefusedError("invalid", "the OAuth state's issue time is not a time") from None
    return OAuthState(str(instance_id), str(schedule_id), str(nonce), issued_at)
