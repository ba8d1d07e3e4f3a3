"""iCalendar (.ics) invitations, updates and cancellations for one booking."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

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
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(_event(meeting, status=status, now=now))
    return bytes(calendar.to_ical())


def _event(meeting: MeetingDetails, *, status: str, now: datetime | None) -> Event:
    event = Event()
    event.add("uid", meeting_uid(meeting.booking_id))
    event.add("sequence", meeting.revision)
    event.add("dtstamp", as_utc(now, "now") if now else datetime.now(UTC))
    event.add("dtstart", meeting.start_utc)
    event.add("dtend", meeting.end_utc)
    event.add("summary", _summary(meeting))
    event.add("status", status)
    event.add("transp", "OPAQUE")
    if meeting.host_email:
        event.add("organizer", _address(meeting.host_email, meeting.host_name))
    if meeting.customer_email:
        attendee = _address(meeting.customer_email, meeting.customer_name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.booking_page_url:
        event.add("url", meeting.booking_page_url)
    description = _description(meeting)
    if description:
        event.add("description", description)
    return event


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


def _address(email: str, name: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    return address
