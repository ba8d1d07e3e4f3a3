"""iCalendar (.ics) invitations, updates and cancellations for one booking, written directly.

One VEVENT of a dozen properties needs no general iCalendar library: `icalendar` took 0.51 ms of
CPU to build and fold one, these lines 0.04 ms (bench/README.md, "Wix calls without httpx, .ics
written directly, delivery off the attempt's thread"). The tests read every file back with
`icalendar` (tests/unit/test_notify_ics.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from workers.notify.details import MeetingDetails, as_utc

UID_DOMAIN = "wix-meetings-processor"
PRODID = "-//wix-meetings-processor//notify//EN"
ICS_FILENAME = "meeting.ics"


def ics_content_type(method: str) -> str:
    """The MIME type of an .ics attachment carrying `method` (REQUEST or CANCEL)."""
    return f"text/calendar; method={method}; charset=utf-8"


def meeting_uid(booking_id: str) -> str:
    """Stable UID: every message about one booking updates the same calendar entry."""
    return f"{booking_id}@{UID_DOMAIN}"


def meeting_invitation(meeting: MeetingDetails, *, now: datetime | None = None) -> bytes:
    """METHOD:REQUEST for a new booking."""
    return _calendar(meeting, method="REQUEST", status="CONFIRMED", now=now)


def meeting_update(meeting: MeetingDetails, *, now: datetime | None = None) -> bytes:
    """METHOD:REQUEST with the booking's newer revision as SEQUENCE (rescheduled)."""
    return _calendar(meeting, method="REQUEST", status="CONFIRMED", now=now)


def meeting_cancellation(meeting: MeetingDetails, *, now: datetime | None = None) -> bytes:
    """METHOD:CANCEL with STATUS:CANCELLED."""
    return _calendar(meeting, method="CANCEL", status="CANCELLED", now=now)


def _calendar(meeting: MeetingDetails, *, method: str, status: str, now: datetime | None) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        *_event(meeting, status=status, now=now),
        "END:VCALENDAR",
    ]
    return b"".join(_folded(line) for line in lines)


def _event(meeting: MeetingDetails, *, status: str, now: datetime | None) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(meeting_uid(meeting.booking_id))}",
        f"SEQUENCE:{int(meeting.revision)}",
        f"DTSTAMP:{_utc(as_utc(now, 'now') if now else datetime.now(UTC))}",
        f"DTSTART:{_utc(meeting.start_utc)}",
        f"DTEND:{_utc(meeting.end_utc)}",
        f"SUMMARY:{_text(_summary(meeting))}",
        f"STATUS:{status}",
        "TRANSP:OPAQUE",
    ]
    if meeting.host_email:
        lines.append(f"ORGANIZER{_common_name(meeting.host_name)}:{_uri('mailto:' + meeting.host_email)}")
    if meeting.customer_email:
        lines.append(
            f"ATTENDEE{_common_name(meeting.customer_name)};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT"
            f":{_uri('mailto:' + meeting.customer_email)}"
        )
    if meeting.location:
        lines.append(f"LOCATION:{_text(meeting.location)}")
    if meeting.booking_page_url:
        lines.append(f"URL:{_uri(meeting.booking_page_url)}")
    description = _description(meeting)
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    lines.append("END:VEVENT")
    return lines


def _summary(meeting: MeetingDetails) -> str:
    if meeting.customer_name:
        return f"{meeting.service_name} with {meeting.customer_name}"
    return meeting.service_name


def _description(meeting: MeetingDetails) -> str:
    lines = [
        f"{label}: {value}"
        for label, value in (
            ("Customer", meeting.customer_name),
            ("Email", meeting.customer_email),
            ("Phone", meeting.customer_phone),
            ("Booking page", meeting.booking_page_url),
        )
        if value
    ]
    return "\n".join(lines)


# RFC 5545 §3.1: content lines of at most 75 octets, continued after CRLF + one space; TEXT values
# escape backslash, semicolon, comma and newline (§3.3.11); parameter values are quoted, with RFC
# 6868's caret escapes for the quote, newline and caret they cannot otherwise hold.
FOLD_AT = 75
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})
_PARAM_ESCAPES = str.maketrans({"^": "^^", "\n": "^n", '"': "^'"})
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # no place in a content line (tab stays)


def _text(value: str) -> str:
    return _lines(value).translate(_TEXT_ESCAPES)


def _lines(value: str) -> str:
    """Text with every line break a `\\n` and no other control character."""
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _uri(value: str) -> str:
    """A URI or CAL-ADDRESS value: written as it is, less what no content line may hold."""
    return _CONTROLS.sub("", value.replace("\r", "").replace("\n", ""))


def _common_name(name: str | None) -> str:
    if not name:
        return ""
    return f';CN="{_lines(name).translate(_PARAM_ESCAPES)}"'


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _folded(line: str) -> bytes:
    """One content line, CRLF-terminated, folded at 75 octets without splitting a UTF-8 character."""
    raw = line.encode()
    if len(raw) <= FOLD_AT:
        return raw + b"\r\n"
    parts = []
    start, limit = 0, FOLD_AT
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # a continuation byte: back to its start
            end -= 1
        parts.append(raw[start:end])
        start, limit = end, FOLD_AT - 1  # the continuation's leading space counts
    return b"\r\n ".join(parts) + b"\r\n"
