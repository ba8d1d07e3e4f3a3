"""Verify a Wix webhook (an RS256 JWT) and decode its nested envelope into a WixEvent."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any, TypeGuard

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.utils import base64url_decode

from processor.wix_event import WixEvent, event_body, parse_event_time

APP_INSTANCE_EVENT_TYPES = frozenset({"AppInstalled", "AppRemoved"})
_MAX_ID_LENGTH = 200  # the store's column widths (processor/store/models.py)
_MAX_INSTANCE_ID_LENGTH = 100
_MAX_HEADER_CHARS = 1024  # Wix's is {"alg":"RS256","typ":"JWT"}, 36 characters encoded


class WebhookRejectedError(Exception):
    """A webhook we refuse; `reason` is a short, safe, machine-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidSignatureError(WebhookRejectedError):
    """Bad signature, wrong algorithm, unknown key, expired or without `exp`: 401."""


class MalformedEventError(WebhookRejectedError):
    """Not a JWT, or an envelope not shaped as Wix documents it: 400."""


def load_public_keys(pems: Sequence[str]) -> list[RSAPublicKey]:
    """Parse PEM public keys once, so verification does not re-parse per request."""
    keys = []
    for pem in pems:
        key = load_pem_public_key(pem.encode())
        if not isinstance(key, RSAPublicKey):
            raise ValueError("not an RSA public key")
        keys.append(key)
    return keys


def decode_webhook(raw: bytes, keys: Sequence[RSAPublicKey], *, leeway_seconds: int = 60) -> WixEvent:
    """Verify `raw` against any of `keys` and decode the three layers; raise a WebhookRejectedError."""
    token = _token_text(raw)
    claims = _verified_claims(token, keys, leeway_seconds)
    envelope = _json_object(claims.get("data"), "claims.data")
    event_type = envelope.get("eventType")
    if not _storable_id(event_type, _MAX_ID_LENGTH):
        raise MalformedEventError("envelope.eventType missing or not a string")
    instance_id = envelope.get("instanceId")
    if instance_id is not None and not _storable_id(instance_id, _MAX_INSTANCE_ID_LENGTH):
        raise MalformedEventError("envelope.instanceId is not a string of at most 100 characters")
    data = _json_object(envelope.get("data"), "envelope.data")
    payload: dict[str, Any] = {
        "eventType": event_type,
        "instanceId": instance_id,
        "data": data,
    }
    if "identity" in envelope:
        payload["identity"] = _identity(envelope["identity"])
    if isinstance(envelope.get("accountInfo"), dict):
        payload["accountInfo"] = envelope["accountInfo"]
    lifetime = _lifetime(claims)
    if event_type in APP_INSTANCE_EVENT_TYPES:
        return _app_instance_event(token, event_type, instance_id, data, payload, lifetime)
    return _domain_event(event_type, instance_id, data, payload, lifetime)


def token_hash_id(token: str) -> str:
    """Dedupe key for events without an id: catches redeliveries of one token."""
    return "jwt-sha256:" + hashlib.sha256(token.encode()).hexdigest()


def _token_text(raw: bytes) -> str:
    if not raw or not raw.strip():
        raise MalformedEventError("empty body")
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise MalformedEventError("body is not a JWT (non-ASCII bytes)") from exc
    if token.count(".") != 2:
        raise MalformedEventError("body is not a JWT (expected header.payload.signature)")
    return token


def _verified_claims(token: str, keys: Sequence[RSAPublicKey], leeway: int) -> dict[str, Any]:
    """PyJWT's verification, with every exception it can raise on a bent token turned into ours."""
    _checked_header(token)
    last_error = "no key configured"
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                leeway=leeway,
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
            )
            return claims
        except jwt.InvalidSignatureError:
            last_error = "signature does not match any configured key"
        except jwt.ExpiredSignatureError as exc:
            raise InvalidSignatureError("token expired") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidSignatureError(f"token has no {exc.claim!r} claim") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidSignatureError("token not yet valid (nbf/iat in the future)") from exc
        except jwt.DecodeError as exc:
            raise MalformedEventError("body is not a JWT (undecodable segments)") from exc
        except jwt.PyJWTError as exc:
            raise InvalidSignatureError(f"invalid token: {type(exc).__name__}") from exc
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            # Past the signature, PyJWT reads the claims with json.loads and int(): claims nested
            # past the recursion limit, an `nbf` that is a list or an `exp` of 1e400 raise these.
            raise MalformedEventError(f"claims not as RFC 7519 defines them ({type(exc).__name__})") from exc
    raise InvalidSignatureError(last_error)


def _checked_header(token: str) -> dict[str, Any]:
    """The JOSE header (RFC 7515 §4), read and checked by us before PyJWT sees the token.

    PyJWT raises RecursionError for a deeply nested header and a bare InvalidTokenError for a
    `crit` member or a non-string `kid`; reading the header here gives each a precise answer.
    """
    segment = token.partition(".")[0]
    if len(segment) > _MAX_HEADER_CHARS:
        raise MalformedEventError(f"JWT header longer than {_MAX_HEADER_CHARS} characters")
    try:
        header = strict_json_loads(base64url_decode(segment))
    except ValueError as exc:  # base64 (binascii.Error), UTF-8, JSON, nesting: all ValueErrors
        raise MalformedEventError("body is not a JWT (unreadable header)") from exc
    if not isinstance(header, dict):
        raise MalformedEventError("body is not a JWT (header is not a JSON object)")
    if header.get("alg") != "RS256":
        raise InvalidSignatureError(f"algorithm {str(header.get('alg'))[:20]!r} is not RS256")
    if "crit" in header:  # RFC 7515 §4.1.11: extensions a recipient does not understand → reject
        raise InvalidSignatureError("header lists critical extensions ('crit'); none is supported")
    if not isinstance(header.get("kid", ""), str):
        raise MalformedEventError("JWT header 'kid' is not a string")
    return header


def strict_json_loads(text: str | bytes) -> Any:
    """json.loads that refuses what JSON itself does not allow but Python reads: NaN, Infinity and
    numbers too large for a float (1e400 → inf). The store's JSON columns refuse them (PostgreSQL).
    Every refusal is a ValueError, nesting past the recursion limit included."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} does not fit a float")
    return number


def _json_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, str):
        raise MalformedEventError(f"{where} is not a JSON string")
    try:
        parsed = strict_json_loads(value)
    except ValueError as exc:
        raise MalformedEventError(f"{where} is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise MalformedEventError(f"{where} is not a JSON object")
    return parsed


def _identity(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return strict_json_loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _lifetime(claims: dict[str, Any]) -> int | None:
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, int | float) and isinstance(iat, int | float):
        lifetime = exp - iat  # 1e308 - -1e308 is inf: logged as unknown, not an OverflowError
        return int(lifetime) if math.isfinite(lifetime) else None
    return None


def _app_instance_event(
    token: str,
    event_type: str,
    instance_id: str | None,
    data: dict[str, Any],
    payload: dict[str, Any],
    lifetime: int | None,
) -> WixEvent:
    return WixEvent(
        wix_event_id=token_hash_id(token),
        event_type=event_type,
        instance_id=instance_id,
        entity_id=instance_id,
        entity_sequence=None,
        event_time=None,
        payload=payload,
        token_lifetime_seconds=lifetime,
    )


def _domain_event(
    event_type: str,
    instance_id: str | None,
    data: dict[str, Any],
    payload: dict[str, Any],
    lifetime: int | None,
) -> WixEvent:
    event_id = data.get("id")
    if not _storable_id(event_id, _MAX_ID_LENGTH):
        raise MalformedEventError("event.id missing or not a string")
    entity_id = data.get("entityId")
    if entity_id is not None and not _storable_id(entity_id, _MAX_ID_LENGTH):
        raise MalformedEventError("event.entityId is not a string")
    if "eventTime" in data and parse_event_time(data["eventTime"]) is None:
        raise MalformedEventError("event.eventTime is not an ISO timestamp")
    return WixEvent(
        wix_event_id=event_id,
        event_type=event_type,
        instance_id=instance_id,
        entity_id=entity_id,
        entity_sequence=_sequence(data),
        event_time=parse_event_time(data.get("eventTime")),
        payload=payload,
        token_lifetime_seconds=lifetime,
    )


def _storable_id(value: Any, max_length: int) -> TypeGuard[str]:
    """A non-empty string that fits its column and that every store can hold: PostgreSQL text
    refuses NUL characters, and UTF-8 has no lone surrogates (JSON's \\ud800 decodes to one)."""
    if not isinstance(value, str) or not value or len(value) > max_length or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sequence(data: dict[str, Any]) -> int | None:
    raw = data.get("entityEventSequence")
    if raw is None:
        body = event_body(data) or {}
        entity = body.get("booking", body) if isinstance(body.get("booking"), dict) else body
        raw = entity.get("revision")
    try:
        sequence = int(raw) if raw is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
    # The store's column is a signed 64-bit integer; a sequence beyond it orders nothing.
    return sequence if sequence is not None and -(2**63) <= sequence < 2**63 else None
