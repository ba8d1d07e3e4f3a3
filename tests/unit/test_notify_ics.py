"""The .ics files: one calendar entry per booking, updated by revision, cancelled by CANCEL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tests.fixtures.meetings import meeting_details
from workers.notify.details import MeetingDetails
from workers.notify.ics import meeting_cancellation, meeting_invitation, meeting_update

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def meeting(**changes: object) -> MeetingDetails:
    return meeting_details(
        **{"booking_id": "7f0c1d2e-booking", "revision": "3", "host_time_zone": "Europe/Berlin", **changes}
    )


def event_of(ics: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_invitation_is_a_request_keyed_by_booking_id_and_revision():
    calendar, event = event_of(meeting_invitation(meeting(), now=NOW))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "7f0c1d2e-booking@wix-meetings-processor"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == NOW


def test_times_are_written_in_utc_whatever_zone_they_came_in():
    plus_two = timezone(timedelta(hours=2))
    details = meeting(
        start_utc=datetime(2025, 5, 21, 9, 0, tzinfo=plus_two),
        end_utc=datetime(2025, 5, 21, 9, 30, tzinfo=plus_two),
    )

    ics = meeting_invitation(details, now=NOW)
    _, event = event_of(ics)

    assert b"DTSTART:20250521T070000Z" in ics
    assert event.decoded("DTSTART") == datetime(2025, 5, 21, 7, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2025, 5, 21, 7, 30, tzinfo=UTC)


def test_host_organizes_and_customer_attends():
    _, event = event_of(meeting_invitation(meeting(), now=NOW))

    assert str(event["ORGANIZER"]) == "mailto:hana@example.com"
    assert event["ORGANIZER"].params["CN"] == "Hana Host"
    assert str(event["ATTENDEE"]) == "mailto:carl@example.com"
    assert event["ATTENDEE"].params["CN"] == "Carl Customer"
    assert str(event["SUMMARY"]) == "Intro call with Carl Customer"
    assert str(event["URL"]) == "https://example.wixsite.com/site/book/intro"


def test_update_keeps_the_uid_and_carries_the_new_revision():
    _, first = event_of(meeting_invitation(meeting(revision=3), now=NOW))
    calendar, moved = event_of(
        meeting_update(
            meeting(
                revision=4,
                start_utc=datetime(2025, 5, 22, 8, 0, tzinfo=UTC),
                end_utc=datetime(2025, 5, 22, 8, 30, tzinfo=UTC),
            ),
            now=NOW,
        )
    )

    assert str(calendar["METHOD"]) == "REQUEST"
    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) == 4
    assert moved.decoded("DTSTART") == datetime(2025, 5, 22, 8, 0, tzinfo=UTC)


def test_cancellation_is_a_cancel_with_status_cancelled():
    calendar, event = event_of(meeting_cancellation(meeting(revision=5), now=NOW))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 5
    assert str(event["UID"]) == "7f0c1d2e-booking@wix-meetings-processor"


def test_unknown_parties_and_link_are_left_out():
    details = meeting(customer_name=None, customer_email=None, host_email=None, booking_page_url=None)

    _, event = event_of(meeting_invitation(details, now=NOW))

    assert "ATTENDEE" not in event
    assert "ORGANIZER" not in event
    assert "URL" not in event
    assert str(event["SUMMARY"]) == "Intro call"


def test_location_and_text_with_special_characters_round_trip():
    details = meeting(location="Zoom; room 1, floor 2", customer_name='Ann "A" Lee, Jr.')

    _, event = event_of(meeting_invitation(details, now=NOW))

    assert str(event["LOCATION"]) == "Zoom; room 1, floor 2"
    assert event["ATTENDEE"].params["CN"] == 'Ann "A" Lee, Jr.'


# Names, places and titles come from Wix users: any printable text, newlines included.
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")) | st.sampled_from('\n;,:"^\\'))


@settings(max_examples=300, deadline=None)
@given(service=words.filter(str.strip), customer=words, host=words, location=words)
def test_any_text_reads_back_as_it_was_written_on_lines_of_at_most_75_octets(
    service: str, customer: str, host: str, location: str
) -> None:
    details = meeting(
        service_name=service,
        customer_name=customer or None,
        host_name=host or None,
        location=location or None,
    )

    ics = meeting_invitation(details, now=NOW)
    _, event = event_of(ics)

    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    assert str(event["SUMMARY"]) == (f"{service} with {customer}" if customer else service)
    if not ICALENDAR_UNESCAPES.search(customer + host):  # see below: that reader departs from RFC 5545
        assert event["ATTENDEE"].params.get("CN") == (customer or None)
        assert event["ORGANIZER"].params.get("CN") == (host or None)
    assert ("LOCATION" in event and str(event["LOCATION"])) == (location or False)


# icalendar's reader takes \\, \\; \\: and \\\\ inside a quoted parameter value as escapes; RFC 5545
# defines none there (a backslash is a plain character in a parameter value), so the writer leaves a
# name's backslash as it is and the property above does not ask icalendar to read such names back.
ICALENDAR_UNESCAPES = re.compile(r"\\[,;:\\]")


def test_a_backslash_in_a_name_is_written_as_it_is_in_its_parameter():
    ics = meeting_invitation(meeting(customer_name="Ann \\, Lee"), now=NOW)

    assert b'CN="Ann \\, Lee"' in ics


def test_control_characters_are_left_out_of_every_line():
    details = meeting(location="Room\x001\x1b[31m", customer_name="Carl\rCustomer\x07")

    ics = meeting_invitation(details, now=NOW)
    _, event = event_of(ics)

    assert str(event["LOCATION"]) == "Room1[31m"
    assert event["ATTENDEE"].params["CN"] == "Carl\nCustomer"
    assert not any(byte < 0x20 and byte not in b"\r\n" for byte in ics)
