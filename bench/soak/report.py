"""The soak's one table (stdout) and its results file (`bench/results/soak-<timestamp>.md`)."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path

from bench.soak.chaos import Timeline
from bench.soak.config import SoakConfig
from bench.soak.verdict import Check

MARK = {True: "ok", False: "VIOLATION", None: ""}


def table(checks: list[Check]) -> str:
    """One fixed-width table: section, check, value, verdict."""
    width = max(len(c.name) for c in checks)
    lines = [f"{'':8} {'check':{width}}  {'verdict':9}  value", "-" * (width + 60)]
    section = ""
    for check in checks:
        label = check.section if check.section != section else ""
        section = check.section
        lines.append(f"{label:8} {check.name:{width}}  {MARK[check.ok]:9}  {check.value}")
    return "\n".join(lines)


def violations(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.ok is False]


def details(checks: list[Check]) -> str:
    """The evidence of each violation, and the details of figures that have some."""
    out: list[str] = []
    for check in checks:
        if check.details and (check.ok is False or check.ok is None):
            out.append(f"{'VIOLATION' if check.ok is False else 'figure'}: {check.section} / {check.name}")
            out.extend("  " + line for d in check.details for line in d.splitlines())
    return "\n".join(out)


def timeline_lines(timeline: Timeline) -> list[str]:
    start = timeline.day_started
    lines = [f"+{at - start:6.1f}s  {text}" for at, text in sorted(timeline.events)]
    for window in timeline.windows:
        end = f"{window.end - start:.1f}s" if window.end is not None else "never ended"
        lines.append(f"window {window.kind}: +{window.start - start:.1f}s → +{end} {window.note}".rstrip())
    return lines


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    python = platform.python_version()
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {python}, load {load}"


def git_head(repo: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True, timeout=5
        )
        return done.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def write_results(
    path: Path,
    *,
    config: SoakConfig,
    checks: list[Check],
    timeline: Timeline,
    command: str,
    repo: Path,
    logs: Path,
    wall_seconds: float,
) -> None:
    bad = violations(checks)
    verdict = (
        "**no violation**" if not bad else f"**{len(bad)} violation(s)**: " + "; ".join(c.name for c in bad)
    )
    text = [
        f"# Fault soak ({config.name}, seed {config.seed})",
        "",
        f"`{command}` · commit `{git_head(repo)}` · {wall_seconds:.0f} s wall · {machine()}",
        "",
        f"Day: {config.bookings} paid bookings on {config.sites} sites over {config.day_seconds:g} s; "
        f"{config.calendar_breaks} calendar breaks of {config.break_seconds:g} s; each webhook sent "
        f"{config.copies[0]} to {config.copies[1]} times within {config.shuffle_seconds:g} s to "
        f"{config.receivers} receivers; {len(config.workers)} workers (extra arguments: "
        + ", ".join(" ".join(w) or "none" for w in config.workers)
        + f"), {config.beats} beats. Fake Wix: {config.latency * 1000:g} ms latency, "
        f"{config.error_500:.0%} 500, {config.rate_limited:.0%} 429 (Retry-After {config.retry_after:g} s), "
        f"{config.drop:.0%} dropped, {config.lost_answer:.0%} lost answers. Product settings: "
        + ", ".join(
            f"`{k}={v}`" for k, v in sorted(config.env().items()) if k not in ("LOG_FORMAT", "NOTIFY_FROM")
        ),
        "",
        f"Verdict: {verdict}.",
        "",
        "```",
        table(checks),
        "```",
        "",
        "## Faults, as injected",
        "",
        "```",
        *timeline_lines(timeline),
        "```",
    ]
    evidence = details(checks)
    if evidence:
        text += ["", "## Evidence", "", "```", evidence, "```"]
    text += ["", f"Process logs of this run: `{logs}` (not committed).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text))
