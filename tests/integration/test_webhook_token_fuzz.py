"""Generated odd tokens: the raw JWT bent (header, claims, segments, lengths, nesting), never a 5xx.

`test_webhook_fuzz.py` bends what is inside a well-signed token; this file bends the token itself,
as anyone on the internet can: headers with any members (`alg`, `kid`, `crit`, `b64`, …) and any
values, claims whose `exp`/`nbf`/`iat` are lists, strings, huge or infinite numbers, JSON nested
thousands of levels deep, missing, extra or empty segments, characters outside base64url, and
bodies past WEBHOOK_MAX_BYTES. Claims are signed with the receiver's key half the time, so PyJWT's
claim checks (which run after the signature) are reached too. The decoder may only raise its own
rejections; the receiver, on both stores, answers 200, 400, 401 or 413, nothing else.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processor.devtools.keys import generate_key_pair
from processor.events import WebhookRejectedError, decode_webhook, load_public_keys
from tests.support.raw_tokens import b64url, nested, raw_token

PRIVATE_PEM, PUBLIC_PEM = generate_key_pair()
MAX_BYTES = 4096  # the receiver's WEBHOOK_MAX_BYTES here, so generated lengths reach it
NOW = int(time.time())
HUGE_EXP = '{"exp":' + "9" * 5000 + ',"data":"{}"}'  # past Python's int-from-text digit limit

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
deep = st.integers(min_value=1, max_value=6000).map(nested)  # [[[…1…]]], past the recursion limit
numbers = st.one_of(
    st.integers(NOW - 600, NOW + 600),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(),  # NaN and ±Infinity included: json.dumps writes them, Python's json reads them
    json_values,
)
headers = st.fixed_dictionaries(
    {
        "alg": st.one_of(
            st.just("RS256"), st.sampled_from(["none", "HS256", "rs256", "RS512", ""]), json_values
        )
    },
    optional={
        "typ": st.one_of(st.just("JWT"), json_values),
        "kid": st.one_of(st.text(max_size=20), json_values),
        "crit": st.one_of(st.lists(st.sampled_from(["b64", "exp", "x"]), max_size=2), json_values),
        "b64": st.one_of(st.booleans(), json_values),
        "cty": json_values,
        "jku": st.text(max_size=30),
        "x5c": json_values,
        "zip": st.sampled_from(["DEF", "x"]),
    },
)
layer2 = st.builds(
    lambda event_type, data: json.dumps({"eventType": event_type, "instanceId": "i", "data": data}),
    st.sampled_from(["AppInstalled", "AppRemoved", "wix.bookings.v2.booking_canceled"]),
    st.one_of(st.just("{}"), st.just('{"id":"e1","entityId":"b1"}'), deep, st.text(max_size=20)),
)
claims = st.fixed_dictionaries(
    {},
    optional={
        "data": st.one_of(layer2, deep, json_values),
        "exp": numbers,
        "nbf": numbers,
        "iat": numbers,
        "iss": json_values,
        "aud": json_values,
        "sub": json_values,
    },
)


def _json_text(objects: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The object as JSON, or bytes that are not quite JSON, or nesting past every limit."""
    return st.one_of(
        objects,
        json_values,
        st.builds(lambda inner: "{" + f'"alg":"RS256","x":{inner}' + "}", deep),
        deep,
        st.binary(max_size=40),
        st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


@st.composite
def bent_tokens(draw: st.DrawFn) -> bytes:
    """A token, then one more twist of its bytes: segments, alphabet, padding or length."""
    header = draw(_json_text(headers))
    claim_set = draw(st.one_of(_json_text(claims), st.just(HUGE_EXP)))
    signer = draw(st.sampled_from(["ours", "ours", "another key", "none", "garbage"]))
    if signer == "ours":
        token = raw_token(header, claim_set, PRIVATE_PEM)
    elif signer == "another key":
        token = raw_token(header, claim_set, generate_other_key())
    elif signer == "none":
        token = raw_token(header, claim_set, None)
    else:
        token = raw_token(header, claim_set, None, signature=draw(st.text(max_size=40)))
    twist = draw(
        st.sampled_from(["none", "none", "segments", "alphabet", "padding", "long", "drop", "bytes"])
    )
    if twist == "segments":
        parts = token.split(".")
        extra = draw(st.lists(st.sampled_from(["", "e30", b64url(b"x" * 50)]), max_size=3))
        token = ".".join(parts[: draw(st.integers(0, 3))] + extra)
    elif twist == "alphabet":
        at = draw(st.integers(0, len(token)))
        token = token[:at] + draw(st.text(alphabet="!*+/=%$ \t\n\x00é", min_size=1, max_size=3)) + token[at:]
    elif twist == "padding":
        token = ".".join(p + "=" * draw(st.integers(0, 3)) for p in token.split("."))
    elif twist == "long":
        token = token + "A" * draw(st.integers(MAX_BYTES - len(token) - 10, MAX_BYTES + 10))
    elif twist == "drop":
        token = token[: draw(st.integers(0, len(token)))]
    elif twist == "bytes":
        return token.encode("utf-8", "surrogatepass") + draw(st.binary(min_size=1, max_size=10))
    return token.encode("utf-8", "surrogatepass")


_OTHER: list[str] = []


def generate_other_key() -> str:
    """An attacker's key, made once."""
    if not _OTHER:
        _OTHER.append(generate_key_pair()[0])
    return _OTHER[0]


def test_the_decoder_rejects_bent_tokens_with_its_own_errors_only() -> None:
    keys = load_public_keys([PUBLIC_PEM])

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(token=bent_tokens())
    def check(token: bytes) -> None:
        try:
            event = decode_webhook(token, keys)
        except WebhookRejectedError:
            return
        json.dumps(event.payload)

    check()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_receiver_answers_every_bent_token_with_200_400_401_or_413(
    make_pipeline: Any, store: str
) -> None:
    pipeline = make_pipeline(
        store=store, broker="embedded", WIX_PUBLIC_KEY=PUBLIC_PEM, WEBHOOK_MAX_BYTES=str(MAX_BYTES)
    )
    answers: dict[int, int] = {}

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(token=bent_tokens())
    def check(token: bytes) -> None:
        answer = pipeline.post(token)
        answers[answer.status_code] = answers.get(answer.status_code, 0) + 1
        assert answer.status_code in (200, 400, 401, 413), answer.get_data(as_text=True)[:300]
        if answer.status_code == 400:
            assert answer.json["error"] == "malformed_event"
        if answer.status_code == 401:
            assert answer.json["error"] == "invalid_signature"

    check()
    assert {400, 401} <= set(answers), answers
