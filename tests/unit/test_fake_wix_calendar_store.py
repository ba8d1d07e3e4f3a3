"""The fake's recurring events expand on the wall clock of their own zone, across DST changes."""

from datetime import UTC, datetime

from processor.devtools.fake_wix_calendar_store import occurrences

MASTER = {
    "timeZone": "Europe/Lisbon",
    "start": {"localDate": "2026-10-20T10:00:00"},
    "end": {"localDate": "2026-10-20T16:00:00"},
    "recurrenceType": "MASTER",
    "recurrenceRule": {"frequency": "WEEKLY", "interval": 1, "days": ["TUESDAY"]},
}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_weekly_hours_keep_local_time_when_summer_time_ends():
    found = occurrences(MASTER, _utc("2026-10-19T00:00:00"), _utc("2026-11-01T00:00:00"))

    # Lisbon leaves summer time on 25 October: 10:00 local is 09:00Z, then 10:00Z
    assert found == [
        (_utc("2026-10-20T09:00:00"), _utc("2026-10-20T15:00:00")),
        (_utc("2026-10-27T10:00:00"), _utc("2026-10-27T16:00:00")),
    ]


def test_an_interval_and_an_until_thin_the_series():
    every_other = {
        **MASTER,
        "recurrenceRule": {
            **MASTER["recurrenceRule"],
            "interval": 2,
            "until": {"localDate": "2026-11-17T10:00:00"},
        },
    }

    found = occurrences(every_other, _utc("2026-10-01T00:00:00"), _utc("2027-01-01T00:00:00"))

    assert [start.date().isoformat() for start, _ in found] == ["2026-10-20", "2026-11-03", "2026-11-17"]


def test_a_single_event_is_itself_when_it_overlaps():
    day_off = {**MASTER, "recurrenceType": "NONE", "end": {"localDate": "2026-10-21T00:00:00"}}

    assert occurrences(day_off, _utc("2026-10-20T12:00:00"), _utc("2026-10-20T13:00:00")) != []
    assert occurrences(day_off, _utc("2026-10-21T00:00:00"), _utc("2026-10-22T00:00:00")) == []
