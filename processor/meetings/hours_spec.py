"""The `--set` / `--hours` grammar for a host's weekly hours, parsed and validated before any Wix call.

One spec is days, then one or more time ranges, separated by spaces:

    spec  := days range { range }            "tue-thu 10:00-16:00"
    days  := item { "," item }               "mon,wed", "mon-wed,fri"
    item  := day | day "-" day               a run of days; "fri-mon" wraps past Sunday
    day   := mon tue wed thu fri sat sun     or the full English name, any case
    range := H:MM "-" H:MM                   24-hour clock, start before end, within one day

Spaces around "," and "-" are ignored ("mon, wed 9:00 - 12:00"), and ranges may be separated by
commas too ("mon 09:00-12:00, 13:00-17:00"). Several specs combine into one week and may name the
same day again ("mon 09:00-12:00" and "mon 13:00-17:00"); ranges of one day may touch (12:00-13:00
then 13:00-14:00) but not overlap. A range can't pass midnight: give the part after midnight as a
spec of the next day. Every mistake raises InvalidInputError naming the spec.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from itertools import pairwise

from processor.meetings.errors import InvalidInputError
from processor.wix.calendar_events import WEEKDAYS
from processor.wix.working_hours import WeeklyWorkingHours, zone

_DAY_NAMES = {name: day for day in WEEKDAYS for name in (day.lower(), day[:3].lower())}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
EXAMPLE = '"tue-thu 10:00-16:00" or "mon,wed 09:00-12:00 13:00-17:00"'


@dataclass(frozen=True)
class DayRange:
    """One range on one weekday, local wall-clock time (the zone comes with `WeeklyPlan.in_zone`)."""

    weekday: str  # MONDAY … SUNDAY
    start: time
    end: time

    def label(self) -> str:
        return f"{self.weekday.capitalize()} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class WeeklyPlan:
    """A validated week of ranges, sorted by weekday then start; no two overlap."""

    ranges: tuple[DayRange, ...]

    def in_zone(self, time_zone: str) -> list[WeeklyWorkingHours]:
        """The ranges as Wix working hours in an IANA zone (one weekly event each, assumption #37)."""
        return [WeeklyWorkingHours(r.weekday, r.start, r.end, parse_zone(time_zone)) for r in self.ranges]


def parse_zone(name: str) -> str:
    """An IANA zone name as given, or InvalidInputError."""
    try:
        zone(name)
    except ValueError:
        raise InvalidInputError(
            f"--tz {name}: not an IANA time zone (e.g. Europe/Lisbon, America/New_York, UTC)"
        ) from None
    return name


def parse_plan(specs: Sequence[str]) -> WeeklyPlan:
    """Every spec combined into one week; InvalidInputError on the first mistake."""
    if not specs:
        raise InvalidInputError(f"no hours given: say which days and times, e.g. {EXAMPLE}")
    found: list[tuple[DayRange, str]] = []
    for spec in specs:
        found.extend((r, spec) for r in _parse_spec(spec))
    found.sort(key=lambda item: (WEEKDAYS.index(item[0].weekday), item[0].start))
    for (before, spec_before), (after, spec_after) in pairwise(found):
        if before.weekday == after.weekday and after.start < before.end:
            where = f'"{spec_before}"' if spec_before == spec_after else f'"{spec_before}" and "{spec_after}"'
            raise InvalidInputError(
                f"{before.label()} overlaps {after.start:%H:%M}-{after.end:%H:%M} (in {where})"
            )
    return WeeklyPlan(tuple(r for r, _ in found))


def _parse_spec(spec: str) -> list[DayRange]:
    text = re.sub(r"\s*([,-])\s*", r"\1", spec.strip().lower())
    words = text.split()
    if len(words) < 2:
        raise InvalidInputError(f'"{spec}": give days and at least one time range, e.g. {EXAMPLE}')
    days = _parse_days(words[0], spec)
    ranges = [_parse_range(part, spec) for word in words[1:] for part in word.split(",") if part]
    return [DayRange(day, start, end) for day in days for start, end in ranges]


def _parse_days(text: str, spec: str) -> list[str]:
    days: list[str] = []
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not dash:
            days.append(_day(first, spec))
            continue
        start, stop = WEEKDAYS.index(_day(first, spec)), WEEKDAYS.index(_day(last, spec))
        days.extend(WEEKDAYS[(start + step) % 7] for step in range((stop - start) % 7 + 1))
    repeated = sorted({d for d in days if days.count(d) > 1}, key=WEEKDAYS.index)
    if repeated:
        raise InvalidInputError(f'"{spec}": {", ".join(d.capitalize() for d in repeated)} given twice')
    return days


def _day(word: str, spec: str) -> str:
    day = _DAY_NAMES.get(word)
    if day is None:
        raise InvalidInputError(
            f'"{spec}": unknown weekday {word!r} '
            "(use mon, tue, wed, thu, fri, sat, sun, or a run like tue-thu)"
        )
    return day


def _parse_range(word: str, spec: str) -> tuple[time, time]:
    first, _, last = word.partition("-")
    if not last:
        raise InvalidInputError(f'"{spec}": {word!r} is not a time range like 10:00-16:00')
    start, end = _time(first, spec), _time(last, spec)
    if end <= start:
        raise InvalidInputError(
            f'"{spec}": {start:%H:%M}-{end:%H:%M} ends before it starts '
            "(a range can't pass midnight: give the rest as the next day)"
        )
    return start, end


def _time(word: str, spec: str) -> time:
    match = _TIME.fullmatch(word)
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInputError(f'"{spec}": {word!r} is not a time of day (00:00 to 23:59)')
    return time(hour, minute)
