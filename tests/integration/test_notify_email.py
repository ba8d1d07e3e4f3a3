"""Mail through a real SMTP server: MIME shape on the wire, refusals and outages typed."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
import structlog
from aiosmtpd.controller import Controller
from icalendar import Calendar
from structlog.testing import capture_logs

from tests.fixtures.meetings import meeting_details
from tests.fixtures.servers import free_port
from tests.fixtures.smtp import SmtpServer
from workers.notify import email
from workers.notify.email import (
    Mailer,
    NotifyRejectedError,
    NotifyUnavailableError,
    SmtpTarget,
)
from workers.notify.messages import booking_canceled_for_host, booking_created_for_host

MEETING = meeting_details(
    booking_id="bk-42",
    revision=7,
    host_name="Hana Höst",
    host_time_zone="Europe/Berlin",
    customer_name="Carl <Customer>",
)


@pytest.fixture
def logs(monkeypatch):
    """Log entries of workers.notify.email (a fresh logger, so cached configuration can't hide them)."""
    with capture_logs() as captured:
        monkeypatch.setattr(email, "log", structlog.get_logger())
        yield captured


def mailer_for(url: str, **kwargs: object) -> Mailer:
    return Mailer(SmtpTarget.from_url(url), sender="meetings@example.com", **kwargs)  # type: ignore[arg-type]


def test_host_gets_text_html_and_a_request_ics(smtp_sink):
    sent = mailer_for(smtp_sink.url).send(booking_created_for_host(MEETING))

    (message,) = smtp_sink.wait_for(1)
    assert sent is True
    assert smtp_sink.envelopes[0].rcpt_tos == ("hana@example.com",)
    assert message["To"] == "hana@example.com"
    assert message["Subject"].startswith("New booking: Intro call with Carl <Customer>")
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert "09:00-09:30 CEST (Europe/Berlin)" in text.get_content()
    assert "Carl &lt;Customer&gt;" in html.get_content()
    (ics,) = message.iter_attachments()
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_param("charset") == "utf-8"
    assert ics.get_filename() == "meeting.ics"
    calendar = Calendar.from_ical(ics.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "bk-42@wix-meetings-processor"
    assert int(event["SEQUENCE"]) == 7


def test_cancellation_carries_a_cancel_ics(smtp_sink):
    mailer_for(smtp_sink.url).send(booking_canceled_for_host(MEETING))

    (message,) = smtp_sink.wait_for(1)
    (ics,) = message.iter_attachments()
    assert ics.get_param("method") == "CANCEL"
    assert str(Calendar.from_ical(ics.get_payload(decode=True))["METHOD"]) == "CANCEL"


def test_missing_host_address_uses_the_fallback(smtp_sink):
    mailer = mailer_for(smtp_sink.url, fallback_to="ops@example.com")

    mailer.send(booking_created_for_host(replace(MEETING, host_email=None)))

    smtp_sink.wait_for(1)
    assert smtp_sink.envelopes[0].rcpt_tos == ("ops@example.com",)


def test_permanently_refused_recipient_is_rejected_without_naming_it(smtp_sink):
    smtp_sink.refuse("hana@example.com", "550 5.1.1 <hana@example.com> unknown")

    with pytest.raises(NotifyRejectedError) as raised:
        mailer_for(smtp_sink.url).send(booking_created_for_host(MEETING))

    assert "550" in str(raised.value)
    assert "example.com" not in str(raised.value)
    assert smtp_sink.messages == []


def test_temporarily_refused_recipient_is_unavailable(smtp_sink):
    smtp_sink.refuse("hana@example.com", "450 4.2.1 try later")

    with pytest.raises(NotifyUnavailableError, match="450"):
        mailer_for(smtp_sink.url).send(booking_created_for_host(MEETING))


def test_unreachable_server_is_unavailable():
    mailer = mailer_for(f"smtp://127.0.0.1:{free_port()}")

    with pytest.raises(NotifyUnavailableError):
        mailer.send(booking_created_for_host(MEETING))


def test_logs_name_the_kind_and_booking_never_a_person(smtp_sink, logs):
    mailer_for(smtp_sink.url).send(booking_created_for_host(MEETING))

    assert logs == [
        {"event": "email.sent", "kind": "booking_created", "booking_id": "bk-42", "log_level": "info"}
    ]


def test_sink_receives_mail_sent_from_another_process(smtp_sink):
    script = (
        "import smtplib, sys\n"
        "from email.message import EmailMessage\n"
        "from urllib.parse import urlsplit\n"
        "url = urlsplit(sys.argv[1])\n"
        "message = EmailMessage()\n"
        "message['Subject'] = 'from a worker'\n"
        "message.set_content('hi')\n"
        "with smtplib.SMTP(url.hostname, url.port, timeout=10) as smtp:\n"
        "    smtp.send_message(message, 'a@example.com', ['b@example.com'])\n"
    )

    subprocess.run([sys.executable, "-c", script, smtp_sink.url], check=True, timeout=30)

    (message,) = smtp_sink.wait_for(1)
    assert message["Subject"] == "from a worker"


def test_batches_one_after_another_share_one_connection(smtp_sink):
    mailer = mailer_for(smtp_sink.url)

    with mailer.session() as first_batch:
        first_batch.send(booking_created_for_host(MEETING))
    with mailer.session() as second_batch:
        second_batch.send(booking_canceled_for_host(MEETING))
    mailer.close()

    assert len(smtp_sink.wait_for(2)) == 2
    assert smtp_sink.connections == 1


def test_a_kept_connection_the_server_dropped_is_replaced_and_the_message_sent():
    port = free_port()
    mailer = mailer_for(f"smtp://127.0.0.1:{port}")
    before = SmtpServer("127.0.0.1", port)
    controller = Controller(before, hostname="127.0.0.1", port=port)
    controller.start()
    mailer.send(booking_created_for_host(MEETING))
    controller.stop()  # the server restarts: the connection the mailer kept is dead
    after = SmtpServer("127.0.0.1", port)
    controller = Controller(after, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent = mailer.send(booking_canceled_for_host(MEETING))
    finally:
        mailer.close()
        controller.stop()

    assert sent is True
    assert [m["Subject"] for m in after.wait_for(1)] == [booking_canceled_for_host(MEETING).subject]
    assert after.connections == 1


def test_a_non_ascii_address_goes_out_over_smtputf8_when_the_server_offers_it(smtp_sink):
    sent = mailer_for(smtp_sink.url).send(
        booking_created_for_host(replace(MEETING, host_email="hanä@exämple.com"))
    )

    (message,) = smtp_sink.wait_for(1)
    assert sent is True
    assert smtp_sink.envelopes[0].rcpt_tos == ("hanä@exämple.com",)
    assert message["Subject"].startswith("New booking: Intro call with Carl <Customer>")


def test_a_non_ascii_address_is_refused_when_the_server_has_no_smtputf8():
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port, enable_SMTPUTF8=False)
    controller.start()
    try:
        with pytest.raises(NotifyRejectedError, match="SMTPUTF8"):
            mailer_for(server.url).send(
                booking_created_for_host(replace(MEETING, host_email="hanä@exämple.com"))
            )
    finally:
        controller.stop()

    assert server.messages == []
