"""CPU time and memory of a process and everything it forked, from /proc (Linux)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Usage:
    """CPU seconds used so far (live processes, plus children their parents reaped) and resident bytes."""

    cpu_seconds: float
    rss_bytes: int
    processes: int


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on (the name may hold spaces)


def tree(root: int) -> list[int]:
    """`root` and its descendants alive now."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def usage(root: int) -> Usage:
    """What the process tree under `root` has used: utime + stime (+ reaped children's), and RSS now."""
    cpu = 0.0
    rss = 0
    count = 0
    for pid in tree(root):
        fields = _stat(pid)
        if fields is None:
            continue
        count += 1
        # after ")": [0]=state … [11]=utime [12]=stime [13]=cutime [14]=cstime … [21]=rss (pages)
        cpu += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICKS
        with contextlib.suppress(IndexError, ValueError):
            rss += int(fields[21]) * PAGE
    return Usage(cpu, rss, count)
