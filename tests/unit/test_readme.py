"""The README stays short and its docs stay true: settings, quick start, links, size."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 10_000

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_CODE_BLOCK = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def _settings_read_by_config() -> set[str]:
    source = (ROOT / "processor" / "config.py").read_text()
    return set(re.findall(r'(?:env, |env\.get\()"([A-Z][A-Z_]+)"', source))


def _settings_in_configuration_table() -> set[str]:
    """Names in the first cell of the first table of docs/configuration.md (the settings table)."""
    names: set[str] = set()
    in_table = False
    for line in (DOCS / "configuration.md").read_text().splitlines():
        if line.startswith("|"):
            in_table = True
            if line.startswith("| `"):
                first_cell = line.split("|")[1]
                names.update(re.findall(r"`([A-Z][A-Z_]+)`", first_cell))
        elif in_table:
            break
    return names


def _section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## ` heading."""
    after = markdown.split(f"\n## {heading}\n", 1)[1]
    return after.split("\n## ", 1)[0]


def _documentation_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _relative_links(markdown: str) -> list[str]:
    prose = _CODE_SPAN.sub("", _CODE_BLOCK.sub("", markdown))
    return [target for target in _LINK.findall(prose) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces to '-'."""
    headings = re.findall(r"^#+ (.+)$", _CODE_BLOCK.sub("", markdown), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _target_file(page: Path, target: str) -> Path:
    path = target.split("#")[0]
    return page.parent / path if path else page


def test_every_setting_is_documented_and_every_documented_setting_exists():
    read = _settings_read_by_config()

    assert len(read) > 20
    assert _settings_in_configuration_table() == read


def test_the_quick_start_has_the_two_commands_and_ci_runs_the_test_one():
    quick_start = _section(README.read_text(), "Quick start")
    ci = (ROOT / ".ci" / "run").read_text()

    assert "make run" in quick_start
    assert "make test" in quick_start
    assert "make test" in ci


def test_the_readme_is_at_most_ten_kilobytes():
    size = len(README.read_bytes())

    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move text to docs/"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {_target_file(README, target).resolve() for target in _relative_links(README.read_text())}

    assert {page.resolve() for page in DOCS.glob("*.md")} <= linked


def test_every_relative_link_points_at_a_file_that_exists():
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in _documentation_files()
        for target in _relative_links(page.read_text())
        if not _target_file(page, target).exists()
    ]

    assert broken == []


def test_every_link_to_a_heading_names_one_that_exists():
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in _documentation_files()
        for target in _relative_links(page.read_text())
        if "#" in target
        and _target_file(page, target).suffix == ".md"
        and target.split("#", 1)[1] not in _anchors(_target_file(page, target).read_text())
    ]

    assert broken == []
