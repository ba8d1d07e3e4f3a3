"""The `--set` / `--hours` grammar: what a week of hours may say, and the messages when it can't."""

from __future__ import annotations

from datetime import time

import pytest

from processor.meetings.errors import InvalidInputError
from processor.meetings.hours_spec import DayRange, parse_plan, parse_zone


def _week(*specs: str) -> list[tuple[str, str, str]]:
    return [(r.weekday, f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in parse_plan(specs).ranges]


def test_a_run_of_days_gets_the_range_each():
    assert _week("tue-thu 10:00-16:00") == [
        ("TUESDAY", "10:00", "16:00"),
        ("WEDNESDAY", "10:00", "16:00"),
        ("THURSDAY", "10:00", "16:00"),
    ]


def test_lists_runs_several_ranges_and_several_specs_combine_sorted_by_day_and_time():
    assert _week("fri 13:00-17:00", "mon,wed 9:00-12:00 13:00-17:00", "fri 09:00-12:00") == [
        ("MONDAY", "09:00", "12:00"),
        ("MONDAY", "13:00", "17:00"),
        ("WEDNESDAY", "09:00", "12:00"),
        ("WEDNESDAY", "13:00", "17:00"),
        ("FRIDAY", "09:00", "12:00"),
        ("FRIDAY", "13:00", "17:00"),
    ]


def test_a_run_may_wrap_past_sunday_and_names_may_be_full_and_any_case():
    assert [d for d, _, _ in _week("Fri-MON 10:00-11:00")] == ["MONDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    assert _week("Saturday 08:00-09:30") == [("SATURDAY", "08:00", "09:30")]


def test_spaces_around_separators_and_commas_between_ranges_are_accepted():
    assert _week("mon , wed 09:00 - 12:00, 13:00-14:00") == _week("mon,wed 09:00-12:00 13:00-14:00")


def test_ranges_of_a_day_may_touch():
    assert _week("mon 09:00-12:00 12:00-13:00") == [
        ("MONDAY", "09:00", "12:00"),
        ("MONDAY", "12:00", "13:00"),
    ]


def test_the_plan_in_a_zone_is_one_weekly_range_per_day_and_range():
    [hours] = parse_plan(["sun 10:00-11:00"]).in_zone("Europe/Lisbon")

    assert (hours.weekday, hours.start, hours.end, hours.time_zone) == (
        "SUNDAY",
        time(10),
        time(11),
        "Europe/Lisbon",
    )
    assert DayRange("SUNDAY", time(10), time(11)).label() == "Sunday 10:00-11:00"


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "no hours given"),
        (
            ["mon 09:00-12:00 11:00-13:00"],
            'Monday 09:00-12:00 overlaps 11:00-13:00 (in "mon 09:00-12:00 11:00-13:00")',
        ),
        (
            ["mon-fri 09:00-17:00", "wed 16:00-18:00"],
            'Wednesday 09:00-17:00 overlaps 16:00-18:00 (in "mon-fri',
        ),
        (["mon 09:00-12:00 09:00-12:00"], "overlaps"),
        (["mon 12:00-09:00"], "12:00-09:00 ends before it starts"),
        (["mon 23:00-00:00"], "can't pass midnight"),
        (["mon 09:00-24:00"], "'24:00' is not a time of day"),
        (["mon 09:60-10:00"], "'09:60' is not a time of day"),
        (["mon 9am-5pm"], "'9am' is not a time of day"),
        (["mon 09:00"], "'09:00' is not a time range"),
        (["mon"], "give days and at least one time range"),
        (["tues 09:00-10:00"], "unknown weekday 'tues'"),
        (["mon-,tue 09:00-10:00"], "unknown weekday ''"),
        (["mon- 09:00-10:00"], "give days and at least one time range"),
        (["mon,mon-tue 09:00-10:00"], "Monday given twice"),
    ],
)
def test_mistakes_are_named(specs, message):
    with pytest.raises(InvalidInputError) as caught:
        parse_plan(specs)

    assert message in str(caught.value)


def test_the_zone_must_be_iana():
    assert parse_zone("America/New_York") == "America/New_York"
    with pytest.raises(InvalidInputError, match="not an IANA time zone"):
        parse_zone("CEST+2")
