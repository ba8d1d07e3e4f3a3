"""Ids inside Wix URL paths: validated, then percent-encoded as exactly one path segment.

Every module of `processor.wix` builds its paths with `segment()`, so an id from a webhook, a query
string or a person can never add segments (`../../stores/v1/orders`), a query (`?`) or a fragment
(`#`) to the request: `a/b==` goes out as `a%2Fb%3D%3D` and Wix (and the fake) decode it back.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from processor.wix.errors import WixInvalidIdError

# GUIDs are 36 characters; calendar connection ids are long opaque base64 strings (the fake's are
# ~110). 1024 leaves room for Wix's without letting a caller send kilobytes of path.
MAX_ID_LENGTH = 1024
_DOT_SEGMENTS = (".", "..")  # servers and proxies normalize them away (RFC 3986 §5.2.4): quoting cannot help


def segment(value: object, what: str = "id") -> str:
    """`value` as one percent-encoded path segment; WixInvalidIdError when it cannot be a Wix id."""
    if not isinstance(value, str):
        raise WixInvalidIdError(f"{what} must be a string, got {type(value).__name__}")
    if not value:
        raise WixInvalidIdError(f"{what} is empty")
    if len(value) > MAX_ID_LENGTH:
        raise WixInvalidIdError(f"{what} is longer than {MAX_ID_LENGTH} characters")
    if value in _DOT_SEGMENTS:
        raise WixInvalidIdError(f"{what} {value!r} is not an id")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise WixInvalidIdError(f"{what} contains control characters or lone surrogates")
    return quote(value, safe="")  # everything but RFC 3986's unreserved characters, `/` included
