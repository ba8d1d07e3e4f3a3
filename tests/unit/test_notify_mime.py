"""The wire form of our messages, read back with the email package's default policy as a client would."""

from __future__ import annotations

import re
from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from tests.fixtures.email_specs import ICS, read_wire
from tests.fixtures.email_specs import email_spec as spec
from workers.notify.mime import render
from workers.notify.spec import Attachment

SENDER = "Meetings <meetings@example.com>"


def text_of(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_every_line_ends_in_crlf_and_no_header_line_is_longer_than_78():
    raw = render(spec(subject="A " * 80, text="x" * 500), sender=SENDER, to="hana@example.com")

    assert b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert read_wire(raw)["Subject"] == ("A " * 80).strip()


def test_non_ascii_subject_and_names_come_back_as_written():
    raw = render(
        spec(subject="Rückerstattung: Intro call with Łukasz 😀 " * 3),
        sender="Zoë's Meetings <meetings@example.com>",
        to="Ana María <ana@example.com>",
    )
    message = read_wire(raw)

    assert raw.isascii()
    assert message["Subject"] == ("Rückerstattung: Intro call with Łukasz 😀 " * 3).strip()
    assert message["From"].addresses[0].display_name == "Zoë's Meetings"
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert message["To"].addresses[0].display_name == "Ana María"
    assert all(not part.defects for part in message.walk())


def test_text_and_html_bodies_keep_every_character_and_line():
    text = "Hallo Zoë,\r\nline two\rline three\n.\nFrom the start\n\ttabbed = equals " + "long " * 40
    html = "<p>Zoë – “quoted” — 日本語</p>"  # noqa: RUF001 - non-ASCII punctuation is the point
    message = read_wire(render(spec(text=text, html=html), sender=SENDER, to=None))

    assert text_of(message, "plain") == text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    assert text_of(message, "html") == html + "\n"
    assert message["To"] is None


def test_the_calendar_and_a_binary_attachment_arrive_byte_for_byte():
    png = bytes(range(256)) * 3
    message = read_wire(
        render(
            spec(
                attachments=(
                    Attachment("meeting.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS),
                    Attachment('rück "logo".png', "image/png", png),
                )
            ),
            sender=SENDER,
            to="hana@example.com",
        )
    )

    assert message.get_content_type() == "multipart/mixed"
    calendar, logo = message.iter_attachments()
    assert (calendar.get_content_type(), calendar.get_param("method"), calendar.get_filename()) == (
        "text/calendar",
        "REQUEST",
        "meeting.ics",
    )
    assert calendar.get_payload(decode=True) == ICS
    assert logo.get_filename() == 'rück "logo".png'
    assert logo.get_payload(decode=True) == png


def test_a_body_that_looks_like_a_boundary_cannot_end_a_part():
    first = render(spec(), sender=SENDER, to=None)
    boundary = re.search(rb'boundary="([^"]+)"', first)
    assert boundary is not None
    text = "--" + boundary.group(1).decode() + "--\n" + "--=_" + "0" * 32 + "\n"

    message = read_wire(render(spec(text=text), sender=SENDER, to=None))

    assert text_of(message, "plain") == text
    assert len(list(message.iter_attachments())) == 1


def test_a_non_ascii_address_is_kept_as_utf8_not_encoded():
    raw = render(spec(), sender=SENDER, to="Zoë <zoë@exämple.com>")

    assert "To: Zoë <zoë@exämple.com>".encode() in raw
    message = message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)  # an RFC 6532 reader
    assert message["To"].addresses[0].addr_spec == "zoë@exämple.com"


@pytest.mark.parametrize("subject", ["", " ", "x" * 2000])
def test_odd_subjects_still_make_a_valid_message(subject):
    message = read_wire(render(spec(subject=subject), sender=SENDER, to="hana@example.com"))

    assert message["Subject"] == subject.strip()
    assert all(not part.defects for part in message.walk())
