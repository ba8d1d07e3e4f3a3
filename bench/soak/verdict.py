"""What every check reads (`Inputs`) and gives (`Check`: one line of the table, with its evidence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from bench.soak.chaos import Timeline
from bench.soak.day import DayTruth
from bench.soak.delivery import Tally
from bench.soak.sinks import SoakFakeWix

MAX_LISTED = 12


@dataclass
class Check:
    """One line of the table: an invariant (`ok` True/False) or a figure (`ok` None)."""

    section: str
    name: str
    value: str
    ok: bool | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class Inputs:
    conn: psycopg.Connection[Any]
    tally: Tally
    fake: SoakFakeWix
    emails: list[Any]
    ops_posts: list[Any]
    truth: DayTruth
    timeline: Timeline
    refund_samples: list[tuple[float, int]]
    worker_kills: int
    retries: int


def listed(lines: list[str], ids: list[str] | None = None, *, cap: int | None = MAX_LISTED) -> list[str]:
    """The first `cap` lines of evidence (all with cap=None); past it, the other offenders' `ids`."""
    if cap is None or len(lines) <= cap:
        return lines
    rest = f": {', '.join(ids[cap:])}" if ids is not None else ""
    return [*lines[:cap], f"… and {len(lines) - cap} more{rest}"]


# -- lost ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
