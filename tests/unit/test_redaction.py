"""What counts as personal data in a payload, and how a person is found in one."""

from __future__ import annotations

import json

from processor.store.redaction import mentions, redact_payload
from processor.wix_event import WixEvent
from workers.privacy_requests import subject_of


def test_a_body_sent_as_a_json_string_is_redacted_and_stays_a_string():
    payload = {
        "data": {
            "createdEvent": {"entityAsJson": json.dumps({"id": "b-1", "contactDetails": {"email": "x@y.z"}})}
        }
    }

    redacted = redact_payload(payload)

    assert json.loads(redacted["data"]["createdEvent"]["entityAsJson"]) == {"id": "b-1", "contactDetails": {}}


def test_names_emails_phones_and_free_text_go_wherever_they_are_and_ids_amounts_statuses_stay():
    payload = {
        "eventType": "wix.bookings.v2.booking_created",
        "data": {
            "entityId": "b-1",
            "createdEvent": {
                "entity": {
                    "id": "b-1",
                    "status": "CONFIRMED",
                    "revision": "3",
                    "startDate": "2030-01-07T10:00:00.000Z",
                    "bookedEntity": {
                        "slot": {"resource": {"id": "r-1", "name": "Dana Host", "email": "d@x.io"}}
                    },
                    "formInfo": {"submissionId": "s-1", "fields": [{"label": "Phone", "value": "+1 555"}]},
                    "participantNotification": {"notifyParticipants": True, "message": "See you, Lee"},
                    "totalPrice": {"value": "50.00", "currency": "USD"},
                }
            },
        },
    }

    entity = redact_payload(payload)["data"]["createdEvent"]["entity"]

    assert entity == {
        "id": "b-1",
        "status": "CONFIRMED",
        "revision": "3",
        "startDate": "2030-01-07T10:00:00.000Z",
        "bookedEntity": {"slot": {"resource": {"id": "r-1"}}},
        "formInfo": {"submissionId": "s-1", "fields": [{}]},
        "participantNotification": {"notifyParticipants": True},
        "totalPrice": {"value": "50.00", "currency": "USD"},
    }


def test_an_email_is_found_as_a_whole_word_in_any_case_and_not_inside_another_address():
    assert mentions({"notes": "write to Lee@Example.com today"}, "lee@example.com")
    assert not mentions({"email": "alee@example.com"}, "lee@example.com")
    assert not mentions({"email": "lee@example.community"}, "lee@example.com")


def _event(fqdn: str, *, anonymize: bool = True) -> WixEvent:
    data = {"entityFqdn": fqdn, "entityId": "e-1", "triggeredByAnonymizeRequest": anonymize}
    return WixEvent("w-1", "t", "site", "e-1", None, None, {"data": data})


def test_the_subject_of_an_anonymisation_is_the_booking_or_contact_it_names():
    assert subject_of(_event("wix.bookings.v2.booking")).kind == "booking"  # type: ignore[union-attr]
    assert subject_of(_event("wix.contacts.v4.contact")).kind == "contact"  # type: ignore[union-attr]
    assert _event("wix.bookings.v2.booking").anonymize_request
    assert not _event("wix.bookings.v2.booking", anonymize=False).anonymize_request
