"""JWTs built byte by byte: any header and claims JSON (or none), signed RS256 or not, bent as wished.

PyJWT's encoder refuses what an attacker may send (a non-string `iss`, odd headers), so these tokens
are assembled by hand: base64url of the raw bytes, and the RS256 signature over `header.claims`.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWS segments are."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def as_json_bytes(value: Any) -> bytes:
    """Bytes as given, a str encoded (lone surrogates kept), anything else as compact JSON."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value, separators=(",", ":")).encode()


def nested(depth: int, inner: str = "1") -> str:
    """`depth` levels of JSON arrays around `inner`: `[[[1]]]`."""
    return "[" * depth + inner + "]" * depth


@functools.lru_cache(maxsize=4)
def _private_key(pem: str) -> RSAPrivateKey:
    key = load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


def rs256(signing_input: str, private_pem: str) -> str:
    """The RS256 signature segment over `header.claims`."""
    signature = _private_key(private_pem).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return b64url(signature)


def raw_token(header: Any, claims: Any, private_pem: str | None, *, signature: str | None = None) -> str:
    """`header.claims.signature`; signed with `private_pem` unless a signature segment is given."""
    signing_input = f"{b64url(as_json_bytes(header))}.{b64url(as_json_bytes(claims))}"
    if signature is None:
        signature = rs256(signing_input, private_pem) if private_pem else ""
    return f"{signing_input}.{signature}"
