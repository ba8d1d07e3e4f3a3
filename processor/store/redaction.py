"""Personal data out of a stored payload: names, emails, phones, addresses, contact and form fields, text.

What stays is what operating the processor needs: ids, types, statuses, times and amounts. The rule is
by key, so it works on every Wix payload shape without knowing them all: a *personal container*
(`contactDetails`, `formInfo`, …) keeps only its ids; a *personal key* (`email`, `firstName`, `notes`, …)
is removed wherever it appears. Bodies Wix sends as JSON strings (`entityAsJson`, …) are parsed,
redacted and written back as strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# Objects about a person: only their ids stay (e.g. contactDetails.contactId).
PERSONAL_CONTAINERS = frozenset(
    k.lower()
    for k in (
        "contactDetails",
        "contact",
        "contactInfo",
        "customer",
        "participant",
        "participants",
        "formInfo",
        "formSubmission",
        "additionalFields",
        "customFields",
        "extendedFields",
        "address",
        "addresses",
        "fullAddress",
        "billingInfo",
        "shippingInfo",
        "recipientInfo",
        "buyerInfo",
        "info",
    )
)
# Values that are personal data wherever they appear.
PERSONAL_KEYS = frozenset(
    k.lower()
    for k in (
        "name",
        "firstName",
        "lastName",
        "fullName",
        "displayName",
        "nickname",
        "email",
        "emails",
        "emailAddress",
        "phone",
        "phones",
        "phoneNumber",
        "formattedAddress",
        "addressLine",
        "addressLine1",
        "addressLine2",
        "streetAddress",
        "postalCode",
        "birthdate",
        "company",
        "jobTitle",
        "message",
        "note",
        "notes",
        "comment",
        "comments",
        "customerReason",
        "additionalInfo",
        "description",
        "text",
        "picture",
        "image",
    )
)


def is_id_key(key: str) -> bool:
    """`id`, `contactId`, `booking_id`: identifiers, which redaction keeps."""
    return key == "id" or key.endswith(("Id", "_id", "Ids"))


def redact_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of `payload` with the personal data removed (ids, types, statuses, amounts kept)."""
    redacted = _redact(payload, inside_person=False)
    assert isinstance(redacted, dict)
    return redacted


def _redact(value: Any, *, inside_person: bool) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            lowered = key.lower()
            if isinstance(item, str) and key.endswith("AsJson"):
                out[key] = _redact_json_text(item, inside_person=inside_person)
            elif lowered in PERSONAL_KEYS or (
                inside_person and not is_id_key(key) and not isinstance(item, (dict, list))
            ):
                continue
            else:
                person = inside_person or lowered in PERSONAL_CONTAINERS
                out[key] = _redact(item, inside_person=person)
        return out
    if isinstance(value, list):
        return [_redact(item, inside_person=inside_person) for item in value]
    return value


def _redact_json_text(text: str, *, inside_person: bool) -> str:
    try:
        parsed = json.loads(text)
    except ValueError:
        return "{}"  # unreadable: nothing of it can be shown to be free of personal data
    return json.dumps(_redact(parsed, inside_person=inside_person))


def string_values(value: Any) -> Iterator[str]:
    """Every string in a JSON value, JSON-in-a-string bodies included (to find an id or an email)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key.endswith("AsJson"):
                try:
                    yield from string_values(json.loads(item))
                except ValueError:
                    yield item
            else:
                yield from string_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from string_values(item)
    elif isinstance(value, str):
        yield value


def mentions(value: Any, needle: str) -> bool:
    """Whether some string in `value` is `needle` or holds it as a whole word (case-insensitive).

    `lee@example.com` matches "write to Lee@Example.com today" but not `alee@example.com`."""
    word = re.compile(r"(?<![\w.+-])" + re.escape(needle) + r"(?![\w-]|\.\w)", re.IGNORECASE)
    return any(word.search(s) for s in string_values(value))
