"""Email builders: host time zone, escaped HTML, the right .ics and the right recipient."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.fixtures.meetings import meeting_details
from workers.notify.body import format_meeting_time
from workers.notify.messages import (
    LinkDetails,
    MeetingDetails,
    booking_canceled_for_host,
    booking_created_for_host,
    booking_rescheduled_for_host,
    link_deactivated_for_host,
    link_reactivated_for_host,
    refund_issued_for_customer,
    refund_issued_for_host,
    refund_skipped_for_host,
)

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def meeting(**changes: object) -> MeetingDetails:
    return meeting_details(
        **{"booking_id": "bk-1", "revision": 2, "host_time_zone": "America/New_York", **changes}
    )


LINK = LinkDetails(
    service_id="svc-1",
    service_name="Intro call",
    host_name="Hana Host",
    host_email="hana@example.com",
    booking_page_url="https://example.wixsite.com/site/book/intro",
)


def test_meeting_time_is_shown_in_the_hosts_time_zone():
    spec = booking_created_for_host(meeting(), now=NOW)

    expected = "Wednesday, 21 May 2025, 03:00-03:30 EDT (America/New_York)"
    assert expected in spec.text
    assert expected in spec.html
    assert "Wed 21 May, 03:00" in spec.subject


def test_a_meeting_across_midnight_names_both_days():
    text = format_meeting_time(
        datetime(2025, 1, 10, 22, 30, tzinfo=UTC),
        datetime(2025, 1, 10, 23, 30, tzinfo=UTC),
        meeting(host_time_zone="Europe/Berlin").host_zone,
    )

    assert text == "Friday, 10 January 2025, 23:30 to Saturday, 11 January 2025, 00:30 CET (Europe/Berlin)"


def test_unknown_host_time_zone_falls_back_to_utc():
    spec = booking_created_for_host(meeting(host_time_zone="Mars/Olympus_Mons"), now=NOW)

    assert "Wednesday, 21 May 2025, 07:00-07:30 (UTC)" in spec.text


def test_host_email_carries_customer_contact_details_and_booking_link():
    spec = booking_created_for_host(meeting(), now=NOW)

    assert spec.to == "hana@example.com"
    for value in ("Carl Customer", "carl@example.com", "+1 555 0100", "bk-1"):
        assert value in spec.text
    assert 'href="mailto:carl@example.com"' in spec.html
    assert 'href="https://example.wixsite.com/site/book/intro"' in spec.html


def test_html_escapes_everything_that_came_from_wix():
    spec = booking_created_for_host(
        meeting(
            customer_name='<script>alert("x")</script>',
            service_name="Tea & talk",
            booking_page_url='https://example.com/?a=1&b="2"',
        ),
        now=NOW,
    )

    assert "<script>" not in spec.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in spec.html
    assert "Tea &amp; talk" in spec.html
    assert 'href="https://example.com/?a=1&amp;b=&quot;2&quot;"' in spec.html
    assert '<script>alert("x")</script>' in spec.text


def test_a_non_web_link_is_shown_but_never_made_clickable():
    spec = booking_created_for_host(meeting(booking_page_url="javascript:alert(1)"), now=NOW)

    assert 'href="javascript' not in spec.html
    assert "javascript:alert(1)" in spec.html


@pytest.mark.parametrize(
    ("build", "method", "kind"),
    [
        (booking_created_for_host, "REQUEST", "booking_created"),
        (booking_rescheduled_for_host, "REQUEST", "booking_rescheduled"),
        (booking_canceled_for_host, "CANCEL", "booking_canceled"),
    ],
)
def test_booking_emails_attach_the_matching_calendar_method(build, method, kind):
    spec = build(meeting(), now=NOW)

    (attachment,) = spec.attachments
    assert attachment.filename.endswith(".ics")
    assert attachment.content_type == f"text/calendar; method={method}; charset=utf-8"
    assert str(Calendar.from_ical(attachment.content)["METHOD"]) == method
    assert spec.kind == kind
    assert spec.booking_id == "bk-1"


def test_reschedule_shows_the_previous_time_when_known():
    spec = booking_rescheduled_for_host(
        meeting(),
        previous_start_utc=datetime(2025, 5, 20, 14, 0, tzinfo=UTC),
        previous_end_utc=datetime(2025, 5, 20, 14, 30, tzinfo=UTC),
        now=NOW,
    )

    assert "Tuesday, 20 May 2025, 10:00-10:30 EDT" in spec.text
    assert "Wednesday, 21 May 2025, 03:00-03:30 EDT" in spec.text


def test_customer_refund_goes_to_the_customer_only_and_in_their_zone():
    spec = refund_issued_for_customer(
        meeting(customer_time_zone="Asia/Tokyo"), amount="50.00", currency="USD"
    )

    assert spec.to == "carl@example.com"
    assert spec.use_fallback is False
    assert "50.00 USD" in spec.subject
    assert "Wednesday, 21 May 2025, 16:00-16:30 JST (Asia/Tokyo)" in spec.text
    assert "+1 555 0100" not in spec.text
    assert spec.attachments == ()


def test_host_refund_notices_name_amount_or_reason():
    issued = refund_issued_for_host(meeting(), amount="50.00", currency="USD")
    skipped = refund_skipped_for_host(meeting(), reason="canceled after the cancellation window")

    assert "50.00 USD" in issued.text
    assert issued.to == skipped.to == "hana@example.com"
    assert "canceled after the cancellation window" in skipped.text
    assert (issued.kind, skipped.kind) == ("refund_issued_host", "refund_skipped")


def test_link_notices_name_the_link_and_the_reason():
    off = link_deactivated_for_host(LINK, reason="your Google calendar connection failed")
    on = link_reactivated_for_host(LINK)

    assert "Intro call" in off.subject
    assert "your Google calendar connection failed" in off.text
    assert "back on" in on.text
    assert off.to == on.to == "hana@example.com"
    assert off.booking_id is None


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        meeting(start_utc=datetime(2025, 5, 21, 7, 0))
