"""Log records never carry secrets or personal data, whatever a caller passes."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from processor.config import load_settings
from processor.logs import configure_logging, scrub


def test_secrets_and_personal_fields_are_redacted_by_name():
    record = scrub(
        None,
        "info",
        {
            "event": "wix.token_fetched",
            "access_token": "eyJhbGciOi",
            "client_secret": "s3cret",
            "host_email": "dana@example.com",
            "customer_name": "Lee",
            "phone": "+33 6 12 34 56 78",
            "event_id": 17,
        },
    )

    assert record["event"] == "wix.token_fetched"
    assert record["event_id"] == 17
    for key in ("access_token", "client_secret", "host_email", "customer_name", "phone"):
        assert record[key] == "[redacted]"


def test_emails_and_phone_numbers_inside_messages_are_masked_but_ids_and_times_are_not():
    record = scrub(
        None,
        "warning",
        {
            "event": "flow.failed",
            "error": "WixValidationError: lee@example.com is not allowed; call +1 (555) 010-9999",
            "seconds": "0.0031234",
            "booking_id": "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e",
        },
    )

    assert "lee@example.com" not in record["error"]
    assert "555" not in record["error"]
    assert "[email]" in record["error"]
    assert record["seconds"] == "0.0031234"
    assert record["booking_id"] == "b7e1c2d4-5a6f-4e3b-9c8d-1f2a3b4c5d6e"


@pytest.fixture
def restored_logging():
    saved, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:], root.level = handlers, level


def test_json_lines_go_to_stderr_scrubbed_and_at_or_above_the_level(restored_logging, capsys):
    configure_logging(load_settings({"LOG_FORMAT": "json"}, need_public_key=False), level=logging.WARNING)
    log = structlog.get_logger("test")

    log.info("quiet.line", event_id=1)
    log.warning("webhook.rejected", event_id=2, reason="mail dana@example.com")
    logging.getLogger("gunicorn.error").warning("a library line")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["webhook.rejected", "a library line"]
    assert lines[0]["reason"] == "mail [email]"
    assert {"level", "timestamp"} <= set(lines[0])
    assert lines[1]["level"] == "warning"


def test_a_traceback_stays_in_the_json_line_as_scrubbed_text(restored_logging, capsys):
    """Found by the fault soak: a Celery worker's "Unrecoverable error" on a broker loss was logged
    with exc_info rendered as "<traceback object at …>", so nobody could see where it crashed."""
    configure_logging(load_settings({"LOG_FORMAT": "json"}, need_public_key=False))

    try:
        raise AttributeError("'NoneType' object has no attribute 'hostname' (dana@example.com)")
    except AttributeError:
        logging.getLogger("celery.worker").critical("Unrecoverable error", exc_info=True)
        structlog.get_logger("test").exception("flow.crashed")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["Unrecoverable error", "flow.crashed"]
    for line in lines:
        assert "exc_info" not in line
        assert line["exception"].startswith("Traceback (most recent call last):")
        assert "AttributeError: 'NoneType' object has no attribute 'hostname' ([email])" in line["exception"]
