"""POST /webhooks/wix as Wix (and attackers) call it: answers, codes, and what gets stored."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from processor.devtools.signing import domain_event, envelope, sign
from tests.support.raw_tokens import nested, raw_token

BOOKING_CANCELED = "wix.bookings.v2.booking_canceled"


def _layer2(event_type: str = BOOKING_CANCELED, **kwargs: object) -> dict[str, object]:
    return envelope(event_type, domain_event(event_type, body={"booking": {"id": "b1"}}, **kwargs))  # type: ignore[arg-type]


def _count_events(pipeline) -> int:
    from sqlalchemy import func, select

    from processor.store.models import Event

    with pipeline.sessions() as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


@pytest.fixture(params=["sqlite", "postgres"])
def receiver(request, make_pipeline):
    """The receiver on each store backend, broker embedded (no worker needed here)."""
    return make_pipeline(store=request.param, broker="embedded")


def test_a_signed_event_is_stored_before_the_200(receiver, signed_event):
    token = signed_event(BOOKING_CANCELED, entity_id="b7e1")

    answer = receiver.post(token)

    assert answer.status_code == 200
    assert answer.json["status"] == "accepted"
    stored = receiver.event(answer.json["event_id"])
    assert stored["event_type"] == BOOKING_CANCELED
    assert stored["entity_id"] == "b7e1"
    assert stored["source"] == "wix"
    assert stored["status"] in ("received", "queued")
    assert stored["payload"]["data"]["actionEvent"]["body"] == {}


def test_a_redelivery_answers_duplicate_with_the_first_event_id(receiver, signed_event):
    token = signed_event(BOOKING_CANCELED)

    first = receiver.post(token)
    second = receiver.post(token)

    assert second.status_code == 200
    assert second.json == {"status": "duplicate", "event_id": first.json["event_id"]}
    assert _count_events(receiver) == 1


def test_the_same_event_id_re_signed_is_still_a_duplicate(receiver, wix_keys):
    layer2 = _layer2(event_id="5f0e8c1a-93b2-4d7e-a6c4-1b2d3e4f5a60")

    first = receiver.post(sign(layer2, wix_keys.private_pem, issued_at=int(time.time())))
    second = receiver.post(sign(layer2, wix_keys.private_pem, issued_at=int(time.time()) - 5))

    assert second.json == {"status": "duplicate", "event_id": first.json["event_id"]}


def test_app_instance_events_are_deduplicated_by_token_hash(receiver, signed_event):
    token = signed_event("AppInstalled", body={"appId": "f3a9c2e1-0b7d-4c55-8e21-6d4b9a0c7e13"})

    first = receiver.post(token)
    second = receiver.post(token)

    assert first.json["status"] == "accepted"
    assert second.json["status"] == "duplicate"
    assert receiver.event(first.json["event_id"])["wix_event_id"].startswith("jwt-sha256:")


def _forge_alg_none(layer2: dict[str, object]) -> str:
    def b64(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"data": json.dumps(layer2), "iat": int(time.time()), "exp": int(time.time()) + 300}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def _forge_hs256_with_public_key(layer2: dict[str, object], public_pem: str) -> str:
    claims = {"data": json.dumps(layer2), "iat": int(time.time()), "exp": int(time.time()) + 300}
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = hmac.new(public_pem.encode(), header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["data"] = claims["data"].replace("booking_canceled", "booking_created")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


ATTACKS = {
    "alg none": lambda keys: _forge_alg_none(_layer2()),
    "HS256 keyed with the public key": lambda keys: _forge_hs256_with_public_key(_layer2(), keys.public_pem),
    "another key": lambda keys: sign(_layer2(), keys.other_private_pem),
    "tampered payload": lambda keys: _tamper(sign(_layer2(), keys.private_pem)),
    "expired": lambda keys: sign(_layer2(), keys.private_pem, issued_at=int(time.time()) - 4000),
    "no exp": lambda keys: sign(_layer2(), keys.private_pem, lifetime_seconds=None),
    "RS512": lambda keys: sign(_layer2(), keys.private_pem, algorithm="RS512"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_forged_tokens_get_401_and_leave_no_trace(receiver, wix_keys, attack):
    token = ATTACKS[attack](wix_keys)

    answer = receiver.post(token)

    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_signature"
    assert answer.json["reason"]
    assert _count_events(receiver) == 0


def test_a_token_without_iat_is_accepted(receiver, wix_keys):
    claims = {"data": json.dumps(_layer2()), "exp": int(time.time()) + 300}
    token = jwt.encode(claims, wix_keys.private_pem, algorithm="RS256")

    assert receiver.post(token).status_code == 200


def test_expiry_allows_the_configured_leeway(receiver, wix_keys):
    token = sign(_layer2(), wix_keys.private_pem, issued_at=int(time.time()) - 330)  # expired 30 s ago

    assert receiver.post(token).status_code == 200


MALFORMED = {
    "empty body": b"",
    "not a JWT": b"hello wix",
    "three dots of garbage": b"a.b.c",
    "binary": b"\xff\xfe\x00.\x01.\x02",
}


@pytest.mark.parametrize("case", MALFORMED)
def test_bodies_that_are_not_jwts_get_400(receiver, case):
    answer = receiver.post(MALFORMED[case])

    assert answer.status_code == 400
    assert answer.json["error"] == "malformed_event"
    assert _count_events(receiver) == 0


def _claims_token(keys, data: object) -> str:
    now = int(time.time())
    return jwt.encode({"data": data, "iat": now, "exp": now + 300}, keys.private_pem, algorithm="RS256")


ENVELOPES = {
    "claims.data is an object": lambda keys: _claims_token(keys, {"eventType": "x"}),
    "claims.data is not JSON": lambda keys: _claims_token(keys, "{not json"),
    "envelope without eventType": lambda keys: _claims_token(keys, json.dumps({"data": "{}"})),
    "envelope.data is an object": lambda keys: _claims_token(
        keys, json.dumps({"eventType": BOOKING_CANCELED, "instanceId": "i", "data": {"id": "x"}})
    ),
    "domain event without id": lambda keys: _claims_token(
        keys,
        json.dumps({"eventType": BOOKING_CANCELED, "instanceId": "i", "data": json.dumps({"slug": "x"})}),
    ),
    "eventType with a NUL character (PostgreSQL text cannot hold it)": lambda keys: _claims_token(
        keys, json.dumps({"eventType": "wix.x\u0000", "data": json.dumps({"id": "e1"})})
    ),
    "event id with a lone surrogate (not UTF-8)": lambda keys: _claims_token(
        keys, json.dumps({"eventType": BOOKING_CANCELED, "data": '{"id": "e\\ud800"}'})
    ),
    "instanceId longer than the store's 100 characters": lambda keys: _claims_token(
        keys, json.dumps({"eventType": BOOKING_CANCELED, "instanceId": "i" * 101, "data": '{"id": "e1"}'})
    ),
    "NaN inside the event (not JSON; PostgreSQL's json refuses it)": lambda keys: _claims_token(
        keys, json.dumps({"eventType": BOOKING_CANCELED, "data": '{"id": "e1", "x": NaN}'})
    ),
    "a number too large for a float": lambda keys: _claims_token(
        keys, json.dumps({"eventType": BOOKING_CANCELED, "data": '{"id": "e1", "x": 1e400}'})
    ),
    "eventTime not a time": lambda keys: _claims_token(
        keys,
        json.dumps(
            {"eventType": BOOKING_CANCELED, "data": json.dumps({"id": "e1", "eventTime": "yesterday"})}
        ),
    ),
}


@pytest.mark.parametrize("case", ENVELOPES)
def test_envelopes_not_as_wix_documents_them_get_400(receiver, wix_keys, case):
    answer = receiver.post(ENVELOPES[case](wix_keys))

    assert answer.status_code == 400
    assert answer.json["error"] == "malformed_event"


def test_oversized_bodies_get_413_without_being_read(make_pipeline):
    receiver = make_pipeline(store="sqlite", broker="embedded", WEBHOOK_MAX_BYTES="1024")

    answer = receiver.post(b"x" * 5000)

    assert answer.status_code == 413
    assert answer.json == {"error": "payload_too_large"}


def test_any_content_type_is_read_as_the_raw_token(receiver, signed_event):
    token = signed_event(BOOKING_CANCELED)

    answer = receiver.client.post(
        "/webhooks/wix", data=token, content_type="application/x-www-form-urlencoded"
    )

    assert answer.status_code == 200


def test_rejections_are_counted_by_reason(receiver, wix_keys):
    receiver.post(b"nope")
    receiver.post(ATTACKS["another key"](wix_keys))

    metrics = receiver.client.get("/metrics").get_data(as_text=True)

    assert 'wix_webhooks_rejected_total{reason="malformed_event"}' in metrics
    assert 'wix_webhooks_rejected_total{reason="invalid_signature"}' in metrics


def _later(seconds: int = 300) -> int:
    return int(time.time()) + seconds


def _signed_claims(keys, **claims: object) -> str:
    """A token signed with Wix's key whose claims are exactly these (PyJWT would refuse some)."""
    layer2 = json.dumps({"eventType": "AppRemoved", "instanceId": "i", "data": "{}"})
    return raw_token({"alg": "RS256", "typ": "JWT"}, {"data": layer2, **claims}, keys.private_pem)


# Found by fuzzing the endpoint from outside: each answered 500 (PyJWT raised something other than
# its InvalidTokenError, or ours did), before the decoder mapped every exception to a rejection.
BENT_TOKENS = {
    "header nested 5000 deep": (
        lambda keys: raw_token('{"alg":"RS256","x":' + nested(5000) + "}", {"exp": _later()}, None),
        400,
        "malformed_event",
    ),
    "header nested 900 deep, unsigned": (
        lambda keys: raw_token('{"alg":"RS256","x":' + nested(900) + "}", {"exp": _later()}, None),
        400,
        "malformed_event",
    ),
    "header with crit": (
        lambda keys: raw_token({"alg": "RS256", "crit": ["b64"], "b64": False}, {"exp": _later()}, None),
        401,
        "invalid_signature",
    ),
    "header with a crit that is not a list": (
        lambda keys: raw_token({"alg": "RS256", "crit": "exp"}, {"exp": _later()}, None),
        401,
        "invalid_signature",
    ),
    "header kid not a string": (
        lambda keys: raw_token({"alg": "RS256", "kid": 5}, {"exp": _later()}, None),
        400,
        "malformed_event",
    ),
    "signed, nbf a list": (lambda keys: _signed_claims(keys, exp=_later(), nbf=[1]), 400, "malformed_event"),
    "signed, iat a list": (lambda keys: _signed_claims(keys, exp=_later(), iat=[1]), 400, "malformed_event"),
    "signed, exp Infinity": (
        lambda keys: raw_token({"alg": "RS256"}, b'{"exp":1e400,"data":"{}"}', keys.private_pem),
        400,
        "malformed_event",
    ),
    "signed, claims nested 5000 deep": (
        lambda keys: raw_token(
            {"alg": "RS256"}, f'{{"exp":{_later()},"x":{nested(5000)}}}', keys.private_pem
        ),
        400,
        "malformed_event",
    ),
    "signed, claims.data nested 5000 deep": (
        lambda keys: raw_token({"alg": "RS256"}, {"exp": _later(), "data": nested(5000)}, keys.private_pem),
        400,
        "malformed_event",
    ),
    "signed, lifetime beyond a float": (
        lambda keys: _signed_claims(keys, exp=1e308, iat=-1e308),
        200,
        None,
    ),
}


@pytest.mark.parametrize("case", BENT_TOKENS)
def test_bent_tokens_get_a_4xx_never_a_500(receiver, wix_keys, case):
    make, status, error = BENT_TOKENS[case]

    answer = receiver.post(make(wix_keys))

    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    if error is not None:
        assert answer.json["error"] == error
