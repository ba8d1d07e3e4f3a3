"""decode_webhook: Wix's three layers, in every form Wix documents (and the conflicts it admits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from processor.devtools.keys import generate_key_pair
from processor.devtools.signing import sign
from processor.events import InvalidSignatureError, MalformedEventError, decode_webhook, load_public_keys
from processor.wix_event import event_body, parse_event_time

PRIVATE, PUBLIC = generate_key_pair()
KEYS = load_public_keys([PUBLIC])

# The worked example of wix-api.md §1.2, layer 3.
CANCELED = {
    "id": "5f0e8c1a-93b2-4d7e-a6c4-1b2d3e4f5a60",
    "entityFqdn": "wix.bookings.v2.booking",
    "slug": "canceled",
    "entityId": "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e",
    "eventTime": "2026-03-02T09:15:04.185050444Z",
    "triggeredByAnonymizeRequest": False,
    "entityEventSequence": "4",
    "actionEvent": {"body": {"booking": {"id": "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e", "revision": "4"}}},
}


def _token(
    layer3: dict, *, identity: object = None, event_type: str = "wix.bookings.v2.booking_canceled"
) -> bytes:
    envelope: dict[str, object] = {
        "eventType": event_type,
        "instanceId": "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34",
        "data": json.dumps(layer3),
    }
    if identity is not None:
        envelope["identity"] = identity
    return sign(envelope, PRIVATE).encode()


def test_the_worked_example_decodes_to_its_ids_sequence_and_time():
    event = decode_webhook(_token(CANCELED), KEYS)

    assert event.wix_event_id == "5f0e8c1a-93b2-4d7e-a6c4-1b2d3e4f5a60"
    assert event.event_type == "wix.bookings.v2.booking_canceled"
    assert event.instance_id == "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34"
    assert event.entity_id == "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e"
    assert event.entity_sequence == 4
    assert event.event_time == datetime(2026, 3, 2, 9, 15, 4, 185050, tzinfo=UTC)
    assert event.body == CANCELED["actionEvent"]["body"]
    assert event.payload["data"]["eventTime"] == "2026-03-02T09:15:04.185050444Z"  # kept as sent


@pytest.mark.parametrize(
    "identity",
    ['{"identityType":"WIX_USER","wixUserId":"9c3b"}', {"identityType": "WIX_USER", "wixUserId": "9c3b"}],
    ids=["string", "object"],
)
def test_identity_is_accepted_as_a_string_or_an_object(identity):
    event = decode_webhook(_token(CANCELED, identity=identity), KEYS)

    assert event.payload["identity"] == {"identityType": "WIX_USER", "wixUserId": "9c3b"}


def test_identity_may_be_absent():
    assert "identity" not in decode_webhook(_token(CANCELED), KEYS).payload


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("createdEvent", "entity"),
        ("updatedEvent", "currentEntity"),
        ("deletedEvent", "deletedEntity"),
        ("actionEvent", "body"),
    ],
)
def test_bodies_are_read_as_objects_strings_or_as_json(kind, key):
    entity = {"id": "x", "revision": "7"}

    as_object = event_body({kind: {key: entity}})
    as_string = event_body({kind: {key: json.dumps(entity)}})
    as_json = event_body({kind: {key + "AsJson": json.dumps(entity)}})

    assert as_object == as_string == as_json == entity


def test_sequence_falls_back_to_the_entity_revision():
    layer3 = {**CANCELED}
    del layer3["entityEventSequence"]

    assert decode_webhook(_token(layer3), KEYS).entity_sequence == 4


@pytest.mark.parametrize("sequence", [2**63, -(2**63) - 1, 1e300, "not a number", {"n": 1}])
def test_a_sequence_the_store_cannot_hold_orders_nothing(sequence):
    layer3 = {**CANCELED, "entityEventSequence": sequence}

    assert decode_webhook(_token(layer3), KEYS).entity_sequence is None


def test_app_installed_has_no_id_and_is_keyed_by_the_token_hash():
    token = _token({"appId": "f3a9", "originInstanceId": "0d6e"}, event_type="AppInstalled")

    event = decode_webhook(token, KEYS)

    assert event.wix_event_id.startswith("jwt-sha256:")
    assert event.data == {"appId": "f3a9", "originInstanceId": "0d6e"}


def test_a_second_configured_key_verifies_during_rotation():
    new_private, new_public = generate_key_pair()
    keys = load_public_keys([PUBLIC, new_public])
    token = sign({"eventType": "AppRemoved", "instanceId": "i", "data": "{}"}, new_private).encode()

    assert decode_webhook(token, keys).event_type == "AppRemoved"


def test_a_token_carrying_aud_and_iss_is_accepted():
    token = sign(
        {"eventType": "AppRemoved", "instanceId": "i", "data": "{}"},
        PRIVATE,
        extra_claims={"aud": "some-app", "iss": "wix.com"},
    ).encode()

    assert decode_webhook(token, KEYS).event_type == "AppRemoved"


def test_a_kid_header_is_ignored():
    import jwt

    claims = {"data": json.dumps({"eventType": "AppRemoved", "instanceId": "i", "data": "{}"}), "exp": 2**40}
    token = jwt.encode(claims, PRIVATE, algorithm="RS256", headers={"kid": "unknown"}).encode()

    assert decode_webhook(token, KEYS).event_type == "AppRemoved"


def test_rejections_say_why():
    with pytest.raises(InvalidSignatureError, match="expired"):
        decode_webhook(sign({"eventType": "x", "data": "{}"}, PRIVATE, issued_at=1).encode(), KEYS)
    with pytest.raises(MalformedEventError, match="empty"):
        decode_webhook(b"  ", KEYS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-11-27T16:18:50.185050444Z", datetime(2024, 11, 27, 16, 18, 50, 185050, tzinfo=UTC)),
        ("2024-11-27T16:18:50Z", datetime(2024, 11, 27, 16, 18, 50, tzinfo=UTC)),
        ("2024-11-27T16:18:50.1+01:00", datetime(2024, 11, 27, 15, 18, 50, 100000, tzinfo=UTC)),
        ("not a time", None),
        (None, None),
    ],
)
def test_event_times_with_nanoseconds_are_truncated_not_rejected(raw, expected):
    parsed = parse_event_time(raw)

    assert parsed == expected
