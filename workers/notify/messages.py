"""Email builders for the flows: plain data in, an EmailMessageSpec (with .ics) out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from workers.notify.body import (
    Body,
    Row,
    email_row,
    format_meeting_time,
    format_short_time,
    link_row,
    rows,
)
from workers.notify.details import LinkDetails, MeetingDetails, as_utc
from workers.notify.ics import (
    ICS_FILENAME,
    ics_content_type,
    meeting_cancellation,
    meeting_invitation,
    meeting_update,
)
from workers.notify.spec import Attachment, EmailMessageSpec, one_line

__all__ = [
    "LinkDetails",
    "MeetingDetails",
    "booking_canceled_for_host",
    "booking_created_for_host",
    "booking_rescheduled_for_host",
    "link_deactivated_for_host",
    "link_reactivated_for_host",
    "refund_issued_for_customer",
    "refund_issued_for_host",
    "refund_skipped_for_host",
]


def booking_created_for_host(meeting: MeetingDetails, *, now: datetime | None = None) -> EmailMessageSpec:
    """Tell the host about a new booking, with a calendar invitation."""
    who = meeting.customer_name or "A customer"
    body = Body(
        greeting=_hello(meeting.host_name),
        paragraphs=(f"{who} booked {meeting.service_name}.",),
        rows=_meeting_rows(meeting),
        closing=("The attached invitation adds the meeting to your calendar.",),
    )
    ics = meeting_invitation(meeting, now=now)
    return _host_spec(meeting, "booking_created", "New booking", body, ics, "REQUEST")


def booking_rescheduled_for_host(
    meeting: MeetingDetails,
    *,
    previous_start_utc: datetime | None = None,
    previous_end_utc: datetime | None = None,
    now: datetime | None = None,
) -> EmailMessageSpec:
    """Tell the host a booking moved; the .ics updates the same calendar entry."""
    who = meeting.customer_name or "A customer"
    previous = None
    if previous_start_utc and previous_end_utc:
        previous = format_meeting_time(
            as_utc(previous_start_utc), as_utc(previous_end_utc), meeting.host_zone
        )
    body = Body(
        greeting=_hello(meeting.host_name),
        paragraphs=(f"{who} rescheduled {meeting.service_name}.",),
        rows=_meeting_rows(meeting, when_label="New time", previous=previous),
        closing=("The attached update moves the meeting in your calendar.",),
    )
    ics = meeting_update(meeting, now=now)
    return _host_spec(meeting, "booking_rescheduled", "Booking moved", body, ics, "REQUEST")


def booking_canceled_for_host(meeting: MeetingDetails, *, now: datetime | None = None) -> EmailMessageSpec:
    """Tell the host a booking was canceled; the .ics removes it from the calendar."""
    body = Body(
        greeting=_hello(meeting.host_name),
        paragraphs=(f"This booking of {meeting.service_name} was canceled.",),
        rows=_meeting_rows(meeting),
        closing=("The attached cancellation removes the meeting from your calendar.",),
    )
    ics = meeting_cancellation(meeting, now=now)
    return _host_spec(meeting, "booking_canceled", "Booking canceled", body, ics, "CANCEL")


def refund_issued_for_customer(
    meeting: MeetingDetails, *, amount: Decimal | str, currency: str
) -> EmailMessageSpec:
    """Tell the customer their canceled booking was refunded (never sent to a fallback)."""
    when = format_meeting_time(meeting.start_utc, meeting.end_utc, meeting.customer_zone)
    with_host = f" with {meeting.host_name}" if meeting.host_name else ""
    body = Body(
        greeting=_hello(meeting.customer_name),
        paragraphs=(
            f"Your booking of {meeting.service_name}{with_host} was canceled and we refunded "
            f"{_money(amount, currency)}.",
            "Depending on your bank, the refund can take a few business days to appear.",
        ),
        rows=rows(
            ("Meeting", meeting.service_name),
            ("When", when),
            ("Refund", _money(amount, currency)),
            link_row("Book again", meeting.booking_page_url),
        ),
    )
    return EmailMessageSpec(
        to=meeting.customer_email,
        subject=one_line(f"Refund for {meeting.service_name}: {_money(amount, currency)}"),
        text=body.text(),
        html=body.html(),
        kind="refund_issued_customer",
        booking_id=meeting.booking_id,
        use_fallback=False,
        role="customer",
    )


def refund_issued_for_host(
    meeting: MeetingDetails, *, amount: Decimal | str, currency: str
) -> EmailMessageSpec:
    """Tell the host we refunded a canceled booking."""
    body = Body(
        greeting=_hello(meeting.host_name),
        paragraphs=(
            f"This canceled booking of {meeting.service_name} was refunded: {_money(amount, currency)}.",
        ),
        rows=_meeting_rows(meeting),
    )
    return _host_spec(meeting, "refund_issued_host", "Refund issued", body)


def refund_skipped_for_host(meeting: MeetingDetails, *, reason: str) -> EmailMessageSpec:
    """Tell the host a canceled booking was not refunded, and why."""
    body = Body(
        greeting=_hello(meeting.host_name),
        paragraphs=(
            f"This booking of {meeting.service_name} was canceled; no refund was issued.",
            f"Reason: {reason}",
        ),
        rows=_meeting_rows(meeting),
        closing=("To refund anyway, use the order in your Wix dashboard.",),
    )
    return _host_spec(meeting, "refund_skipped", "No refund issued", body)


def link_deactivated_for_host(link: LinkDetails, *, reason: str) -> EmailMessageSpec:
    """Tell the host online booking for a link was turned off, and why."""
    body = Body(
        greeting=_hello(link.host_name),
        paragraphs=(
            f"We turned off online booking for {link.service_name}: {reason}",
            "Customers cannot book this link until it is on again, so nobody books a time "
            "your calendar cannot see.",
        ),
        rows=rows(("Link", link.service_name), link_row("Booking page", link.booking_page_url)),
        closing=("When your calendar connection works again, we turn booking back on.",),
    )
    return _link_spec(link, "link_deactivated", f"Booking paused: {link.service_name}", body)


def link_reactivated_for_host(link: LinkDetails) -> EmailMessageSpec:
    """Tell the host online booking for a link is on again."""
    body = Body(
        greeting=_hello(link.host_name),
        paragraphs=(
            f"Your calendar connection works again; online booking for {link.service_name} is back on.",
        ),
        rows=rows(("Link", link.service_name), link_row("Booking page", link.booking_page_url)),
    )
    return _link_spec(link, "link_reactivated", f"Booking resumed: {link.service_name}", body)


def _meeting_rows(
    meeting: MeetingDetails, *, when_label: str = "When", previous: str | None = None
) -> tuple[Row, ...]:
    return rows(
        ("Meeting", meeting.service_name),
        (when_label, format_meeting_time(meeting.start_utc, meeting.end_utc, meeting.host_zone)),
        ("Previous time", previous),
        ("Customer", meeting.customer_name),
        email_row("Email", meeting.customer_email),
        ("Phone", meeting.customer_phone),
        ("Location", meeting.location),
        link_row("Booking page", meeting.booking_page_url),
        ("Booking id", meeting.booking_id),
    )


def _host_spec(
    meeting: MeetingDetails,
    kind: str,
    headline: str,
    body: Body,
    ics: bytes | None = None,
    method: str = "REQUEST",
) -> EmailMessageSpec:
    when = format_short_time(meeting.start_utc, meeting.host_zone)
    who = f" with {meeting.customer_name}" if meeting.customer_name else ""
    attachments = (Attachment(ICS_FILENAME, ics_content_type(method), ics),) if ics else ()
    return EmailMessageSpec(
        to=meeting.host_email,
        subject=one_line(f"{headline}: {meeting.service_name}{who}, {when}"),
        text=body.text(),
        html=body.html(),
        attachments=attachments,
        kind=kind,
        booking_id=meeting.booking_id,
    )


def _link_spec(link: LinkDetails, kind: str, subject: str, body: Body) -> EmailMessageSpec:
    return EmailMessageSpec(
        to=link.host_email, subject=one_line(subject), text=body.text(), html=body.html(), kind=kind
    )


def _hello(name: str | None) -> str:
    return f"Hello {name}," if name else "Hello,"


def _money(amount: Decimal | str, currency: str) -> str:
    return f"{amount} {currency}".strip()
