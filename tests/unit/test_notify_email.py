"""Mailer without a network: MIME shape, disabled mode, fallback, SMTP_URL parsing, no PII in logs."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from processor.config import Settings
from tests.fixtures.email_specs import ICS, read_wire
from tests.fixtures.email_specs import email_spec as spec
from workers.notify import email
from workers.notify.email import Attachment, Mailer, NotifyRejectedError, SmtpTarget
from workers.notify.spec import one_line, spec_from_json, spec_to_json


@pytest.fixture
def logs(monkeypatch):
    """Log entries of workers.notify.email (a fresh logger, so cached configuration can't hide them)."""
    with capture_logs() as captured:
        monkeypatch.setattr(email, "log", structlog.get_logger())
        yield captured


def settings(**changes: object) -> Settings:
    return Settings(wix_public_keys=("unused",), **changes)  # type: ignore[arg-type]


def test_message_is_text_and_html_alternatives_plus_the_ics():
    message = read_wire(Mailer(None, sender="meetings@example.com").build(spec()))

    assert message.get_content_type() == "multipart/mixed"
    alternative, calendar = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset") == "utf-8"
    assert calendar.get_filename() == "meeting.ics"
    assert calendar.get_payload(decode=True) == ICS
    assert message["From"] == "meetings@example.com"


def test_message_without_attachments_is_plain_alternative():
    message = read_wire(Mailer(None, sender="meetings@example.com").build(spec(attachments=())))

    assert message.get_content_type() == "multipart/alternative"


def test_disabled_mailer_logs_and_sends_nothing(logs):
    mailer = Mailer.from_settings(settings(smtp_url=None))

    sent = mailer.send(spec())

    assert sent is False
    assert logs == [
        {"event": "email.disabled", "kind": "booking_created", "booking_id": "bk-1", "log_level": "info"}
    ]


def test_host_notice_without_address_goes_to_the_fallback():
    mailer = Mailer(None, sender="m@example.com", fallback_to="ops@example.com")

    assert mailer.recipient(spec(to=None)) == "ops@example.com"
    assert mailer.recipient(spec(to=None, use_fallback=False)) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpTarget("mail.example.com", 25, False)),
        ("smtp://u:p@127.0.0.1:2525", SmtpTarget("127.0.0.1", 2525, False, "u", "p")),
        (
            "smtps://me%40example.com:p%2Fw@smtp.example.com",
            SmtpTarget("smtp.example.com", 465, True, "me@example.com", "p/w"),
        ),
    ],
)
def test_smtp_url_is_read_wire(url, expected):
    assert SmtpTarget.from_url(url) == expected


def test_settings_build_an_enabled_mailer():
    mailer = Mailer.from_settings(settings(smtp_url="smtp://127.0.0.1:2525", notify_from="m@example.com"))

    assert mailer.enabled
    assert mailer.sender == "m@example.com"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Lee\r\nBcc: mallory@example.com", "Lee Bcc: mallory@example.com"),
        ("Ana\nMaría", "Ana María"),
        ("bell\x07 and nul\x00 and esc\x1b", "bell and nul and esc"),
        ("line\u2028separator\u0085next", "line separator next"),
        ("  a\ttab  ", "a tab"),
        ("Zoë 😀 Łukasz", "Zoë 😀 Łukasz"),
    ],
)
def test_a_header_value_loses_line_breaks_and_control_characters(raw, clean):
    assert one_line(raw) == clean


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_the_plain_ascii_shortcut_cleans_exactly_as_the_full_rule(raw):
    full_rule = re.sub(r"[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", raw)
    full_rule = "".join(ch for ch in full_rule if unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))

    assert one_line(raw) == re.sub(r"\s{2,}", " ", full_rule).strip()


def test_every_header_is_made_safe_whatever_the_builder_passed():
    mailer = Mailer(None, sender="Meetings\r\nBcc: x@example.com <meetings@example.com>")

    raw = mailer.build(
        spec(
            subject="New booking:\r\nBcc: mallory@example.com\x00",
            attachments=(Attachment("meet\r\ning.ics", "text/calendar;\r\n method=REQUEST", ICS),),
        )
    )
    message = read_wire(raw)

    assert message["Subject"] == "New booking: Bcc: mallory@example.com"
    assert message["Bcc"] is None
    assert "\n" not in str(message["From"])
    (_, calendar) = message.iter_parts()
    assert calendar.get_filename() == "meet ing.ics"
    assert raw.count(b"\nBcc:") == 0


def test_a_recipient_address_with_a_line_break_is_refused_not_rewritten():
    mailer = Mailer(None, sender="meetings@example.com")

    with pytest.raises(NotifyRejectedError, match="line breaks"):
        mailer.build(spec(to="hana@example.com\r\nBcc: mallory@example.com"))


def test_a_spec_survives_the_outbox_as_json_with_text_and_binary_attachments():
    original = spec(
        attachments=(
            Attachment("meeting.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS),
            Attachment("logo.png", "image/png", b"\x89PNG\r\n\x1a\n\xff\x00"),
        ),
        use_fallback=False,
        role="customer",
    )

    stored = json.loads(json.dumps(spec_to_json(original)))

    assert spec_from_json(stored) == original
    assert stored["attachments"][0]["content"].startswith("BEGIN:VCALENDAR")
