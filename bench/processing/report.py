"""What a part found (figures against the issue's targets, PASS/FAIL checks) and the results file."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure; `met` None when the issue sets no target for it."""

    name: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass(frozen=True)
class Check:
    """A correctness check: exactly one refund per booking, nothing lost, …"""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class PartResult:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None  # the part could not run to its end

    def failed(self) -> list[Check]:
        broken = [Check("part ran to its end", False, self.error)] if self.error else []
        return broken + [c for c in self.checks if not c.passed]


def _met(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "**missed**")


def _git(*args: str, repo: Path) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def render(results: list[PartResult], *, command: str, repo: Path, logs: Path, wall: float) -> str:
    """The results file: figures, checks, notes per part, and how to repeat it."""
    commit = _git("rev-parse", "--short", "HEAD", repo=repo)
    dirty = " (+ uncommitted changes)" if _git("status", "--porcelain", repo=repo) else ""
    failures = [(r.name, c) for r in results for c in r.failed()]
    lines = [
        f"# Processing benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}` · commit `{commit}`{dirty} · {os.cpu_count()} CPUs · "
        f"load average at the end {os.getloadavg()[0]:.2f} · wall {wall:.0f} s · logs `{logs}`",
        "",
        f"**Checks: {'PASS' if not failures else 'FAIL'}** "
        f"({sum(len(r.checks) for r in results) - len(failures)} passed, {len(failures)} failed)",
        "",
        "## Figures",
        "",
        "| part | figure | value | target | |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for figure in result.figures:
            lines.append(
                f"| {result.name} | {figure.name} | {figure.value} | {figure.target} | {_met(figure.met)} |"
            )
    lines += ["", "## Checks", "", "| part | check | result | detail |", "|---|---|---|---|"]
    for result in results:
        for check in ([Check("part ran to its end", False, result.error)] if result.error else []) + list(
            result.checks
        ):
            verdict = "PASS" if check.passed else "**FAIL**"
            detail = check.detail.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {result.name} | {check.name} | {verdict} | {detail} |")
    lines += ["", "## Parts", ""]
    for result in results:
        lines.append(f"* **{result.name}** ({result.seconds:.0f} s): {result.title}")
        lines += [f"  * {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
