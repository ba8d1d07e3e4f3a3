"""Mailer without a network: MIME shape, disabled mode, fallback, SMTP_URL parsing, no PII in logs."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from processor.config import Settings
from workers.notify import email
from workers.notify.email import Attachment, EmailMessageSpec, Mailer, SmtpTarget

ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def logs(monkeypatch):
    """Log entries of workers.notify.email (a fresh logger, so cached configuration can't hide them)."""
    with capture_logs() as captured:
        monkeypatch.setattr(email, "log", structlog.get_logger())
        yield captured


def spec(**changes: object) -> EmailMessageSpec:
    values: dict[str, object] = {
        "to": "hana@example.com",
        "subject": "New booking",
        "text": "Hello Hana",
        "html": "<p>Hello Hana</p>",
        "attachments": (Attachment("meeting.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS),),
        "kind": "booking_created",
        "booking_id": "bk-1",
    }
    values.update(changes)
    return EmailMessageSpec(**values)  # type: ignore[arg-type]


def settings(**changes: object) -> Settings:
    return Settings(wix_public_keys=("unused",), **changes)  # type: ignore[arg-type]


def test_message_is_text_and_html_alternatives_plus_the_ics():
    message = Mailer(None, sender="meetings@example.com").build(spec())

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
    message = Mailer(None, sender="meetings@example.com").build(spec(attachments=()))

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
def test_smtp_url_is_parsed(url, expected):
    assert SmtpTarget.from_url(url) == expected


def test_settings_build_an_enabled_mailer():
    mailer = Mailer.from_settings(settings(smtp_url="smtp://127.0.0.1:2525", notify_from="m@example.com"))

    assert mailer.enabled
    assert mailer.sender == "m@example.com"
