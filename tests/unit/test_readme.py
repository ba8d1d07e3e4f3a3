"""The README documents exactly the settings that processor/config.py reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_read_by_config() -> set[str]:
    source = (ROOT / "processor" / "config.py").read_text()
    return set(re.findall(r'(?:env, |env\.get\()"([A-Z][A-Z_]+)"', source))


def _settings_in_readme_table() -> set[str]:
    names: set[str] = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z_]+)`", first_cell))
    return names


def test_every_setting_is_documented_and_every_documented_setting_exists():
    read = _settings_read_by_config()

    assert len(read) > 20
    assert _settings_in_readme_table() == read


def test_the_quick_start_has_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()

    assert "make run" in readme.split("## Configuration")[0]
    assert "make test" in readme.split("## Configuration")[0]
    assert "make test" in ci
