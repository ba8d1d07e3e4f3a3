"""Generated odd webhooks: validly signed, every layer bent; the answer is 200 or a 4xx, never a 500.

Hypothesis builds the three layers from Wix's field names with arbitrary JSON where Wix puts
strings, objects or JSON-in-a-string, signs them with the receiver's key, and posts them over the
receiver's WSGI app on both stores. Whatever decodes must also store and show. (A run with ten
times the examples found NUL characters, lone surrogates, NaN/1e400 and 2**63 sequences, all now
400s; repeat it by raising max_examples.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processor.devtools.keys import generate_key_pair
from processor.devtools.signing import sign
from processor.events import WebhookRejectedError, decode_webhook, load_public_keys

PRIVATE_PEM, PUBLIC_PEM = generate_key_pair()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Any code point, NUL and lone surrogates included (JSON carries them as \\u0000 and \\ud800).
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)
ids = st.one_of(st.uuids().map(str), st.text(max_size=250), any_text, json_values)
event_types = (
    st.sampled_from(
        [
            "wix.bookings.v2.booking_created",
            "wix.bookings.v2.booking_canceled",
            "wix.bookings.v2.booking_rescheduled",
            "wix.bookings.staff.v1.staff_member_deleted",
            "AppInstalled",
            "AppRemoved",
        ]
    )
    | st.text(max_size=210)
    | any_text
)


def _maybe_json_string(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Wix nests layers as JSON strings; also try the object itself, broken JSON, or anything."""
    return st.one_of(strategy.map(json.dumps), strategy, st.text(max_size=40), json_values)


bodies = st.dictionaries(
    st.sampled_from(["id", "revision", "status", "appId", "startDate", "bookedEntity", "contactDetails"]),
    json_values,
    max_size=5,
)
layer3 = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "entityFqdn": st.text(max_size=40),
        "slug": st.text(max_size=20),
        "entityId": ids,
        "eventTime": st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), json_values),
        "entityEventSequence": st.one_of(st.integers(), st.text(max_size=25), json_values),
        "createdEvent": st.one_of(st.fixed_dictionaries({"entity": bodies}), json_values),
        "updatedEvent": st.one_of(st.fixed_dictionaries({"currentEntity": bodies}), json_values),
        "deletedEvent": st.one_of(st.fixed_dictionaries({"deletedEntity": bodies}), json_values),
        "actionEvent": st.one_of(st.fixed_dictionaries({"body": _maybe_json_string(bodies)}), json_values),
        "appId": ids,
        "originInstanceId": ids,
    },
)
layer2 = st.fixed_dictionaries(
    {"eventType": st.one_of(event_types, json_values), "data": _maybe_json_string(layer3)},
    optional={
        "instanceId": st.one_of(st.uuids().map(str), st.text(max_size=120), any_text, json_values),
        "identity": _maybe_json_string(st.dictionaries(st.text(max_size=10), json_values, max_size=3)),
        "accountInfo": json_values,
    },
)
bent_tokens = _maybe_json_string(layer2).map(
    lambda data: sign({"data": data}, PRIVATE_PEM, lifetime_seconds=300)
)
# Wix's shape with arbitrary values inside: most of these must be accepted.
well_formed_layer3 = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str),
        "entityFqdn": st.text(max_size=40),
        "slug": st.text(max_size=20),
        "entityId": st.uuids().map(str),
        "eventTime": st.datetimes().map(lambda d: d.isoformat() + "Z"),
    },
    optional={
        "createdEvent": st.fixed_dictionaries({"entity": bodies}),
        "updatedEvent": st.fixed_dictionaries({"currentEntity": bodies}),
        "actionEvent": st.fixed_dictionaries({"body": _maybe_json_string(bodies)}),
        "entityEventSequence": st.one_of(st.integers(), st.text(max_size=25)),
    },
)
well_formed_tokens = st.builds(
    lambda event_type, instance_id, data: sign(
        {"eventType": event_type, "instanceId": instance_id, "data": json.dumps(data)},
        PRIVATE_PEM,
        lifetime_seconds=300,
    ),
    event_types,
    st.uuids().map(str) | any_text,
    well_formed_layer3,
)
tokens = st.one_of(well_formed_tokens, bent_tokens)


def test_the_decoder_accepts_or_rejects_with_its_own_errors_only():
    keys = load_public_keys([PUBLIC_PEM])

    @settings(max_examples=300, deadline=None)
    @given(token=tokens)
    def check(token: str) -> None:
        try:
            event = decode_webhook(token.encode(), keys)
        except WebhookRejectedError:
            return
        assert event.event_type
        assert len(event.wix_event_id) <= 200
        json.dumps(event.payload)  # storable as JSON

    check()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_receiver_answers_every_generated_webhook_with_200_or_400(make_pipeline, store):
    pipeline = make_pipeline(store=store, broker="embedded", WIX_PUBLIC_KEY=PUBLIC_PEM)
    answers: dict[int, int] = {}

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(token=tokens)
    def check(token: str) -> None:
        answer = pipeline.client.post("/webhooks/wix", data=token, content_type="text/plain")
        answers[answer.status_code] = answers.get(answer.status_code, 0) + 1
        assert answer.status_code in (200, 400), answer.json
        if answer.status_code == 200:
            json.dumps(pipeline.event(answer.json["event_id"]))  # stored, and shown as the admin API does
        else:
            assert answer.json["error"] == "malformed_event"

    check()
    assert answers.get(200, 0) > 0, answers
    assert answers.get(400, 0) > 0, answers
