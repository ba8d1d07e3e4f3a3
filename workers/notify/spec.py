"""What an email says (EmailMessageSpec), as the outbox stores it (JSON), and header values made safe."""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple

# Line breaks of every kind and tabs become one space; other control characters are dropped.
_LINE_BREAKS = re.compile(r"[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")


def one_line(value: str) -> str:
    """A header value that cannot break a message: line breaks become spaces, control characters go.

    Names and service names come from webhook payloads; a CR or LF in a Subject makes Python's email
    package raise, and anything else unprintable has no business in a header.
    """
    if value.isascii() and value.isprintable():  # the usual case: nothing to drop, spaces to fold
        return _SPACES.sub(" ", value).strip()
    joined = _LINE_BREAKS.sub(" ", value)
    kept = "".join(ch for ch in joined if unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))
    return _SPACES.sub(" ", kept).strip()


class Attachment(NamedTuple):
    """One attachment: (filename, content type with parameters, bytes)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class EmailMessageSpec:
    """What to send. `kind` and `booking_id` are the only things ever logged about it."""

    to: str | None
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    kind: str = "notification"
    booking_id: str | None = None
    # Host notices may go to NOTIFY_FALLBACK_TO when the host's address is unknown;
    # a customer's notice must never land in someone else's inbox.
    use_fallback: bool = True
    role: str = "host"  # who receives it: host | customer (listed on the event, never the address)


def spec_to_json(spec: EmailMessageSpec) -> dict[str, Any]:
    """The spec as the outbox keeps it; attachments as text when they are UTF-8 (the .ics is)."""
    return {
        "to": spec.to,
        "subject": spec.subject,
        "text": spec.text,
        "html": spec.html,
        "attachments": [_attachment_to_json(a) for a in spec.attachments],
        "kind": spec.kind,
        "booking_id": spec.booking_id,
        "use_fallback": spec.use_fallback,
        "role": spec.role,
    }


def spec_from_json(raw: dict[str, Any]) -> EmailMessageSpec:
    """The spec back from the outbox (KeyError or ValueError for a message that was not one)."""
    return EmailMessageSpec(
        to=raw.get("to"),
        subject=str(raw["subject"]),
        text=str(raw["text"]),
        html=str(raw["html"]),
        attachments=tuple(_attachment_from_json(a) for a in raw.get("attachments") or ()),
        kind=str(raw.get("kind") or "notification"),
        booking_id=raw.get("booking_id"),
        use_fallback=bool(raw.get("use_fallback", True)),
        role=str(raw.get("role") or "host"),
    )


def _attachment_to_json(attachment: Attachment) -> dict[str, str]:
    try:
        content, encoding = attachment.content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        content, encoding = base64.b64encode(attachment.content).decode("ascii"), "base64"
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "content": content,
        "encoding": encoding,
    }


def _attachment_from_json(raw: dict[str, str]) -> Attachment:
    text = raw["content"]
    content = base64.b64decode(text) if raw.get("encoding") == "base64" else text.encode("utf-8")
    return Attachment(raw["filename"], raw["content_type"], content)
