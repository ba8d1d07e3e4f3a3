"""One email body, written once and rendered as plain text and as escaped HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Row:
    """A labelled value; `href` makes the value a link in HTML (http(s) and mailto only)."""

    label: str
    value: str
    href: str | None = None


@dataclass(frozen=True)
class Body:
    """Greeting, paragraphs, a table of rows and a closing line."""

    paragraphs: tuple[str, ...]
    rows: tuple[Row, ...] = ()
    closing: tuple[str, ...] = ()
    greeting: str | None = None
    footer: str = "— wix-meetings-processor"

    def text(self) -> str:
        """Plain text: paragraphs separated by blank lines, rows as `Label: value`."""
        blocks: list[str] = []
        if self.greeting:
            blocks.append(self.greeting)
        blocks.extend(self.paragraphs)
        if self.rows:
            width = max(len(row.label) for row in self.rows) + 1
            blocks.append("\n".join(f"{row.label + ':':<{width}} {row.value}" for row in self.rows))
        blocks.extend(self.closing)
        blocks.append(self.footer)
        return "\n\n".join(blocks) + "\n"

    def html(self) -> str:
        """A small HTML document; every value is escaped."""
        parts = ['<!DOCTYPE html>\n<html><body style="font-family: sans-serif; line-height: 1.4">']
        if self.greeting:
            parts.append(f"<p>{escape(self.greeting)}</p>")
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in self.paragraphs)
        if self.rows:
            parts.append('<table cellpadding="4" style="border-collapse: collapse">')
            parts.extend(
                f'<tr><th align="left" valign="top">{escape(row.label)}</th><td>{_value_html(row)}</td></tr>'
                for row in self.rows
            )
            parts.append("</table>")
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in self.closing)
        parts.append(f'<p style="color: #777">{escape(self.footer)}</p>')
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"


def rows(*pairs: tuple[str, str | None] | Row | None) -> tuple[Row, ...]:
    """Rows from (label, value) pairs and Rows, leaving out missing values."""
    result: list[Row] = []
    for pair in pairs:
        if isinstance(pair, Row):
            result.append(pair)
        elif pair is not None and pair[1]:
            result.append(Row(pair[0], pair[1]))
    return tuple(result)


def link_row(label: str, url: str | None) -> Row | None:
    """A row whose value is a link, or None when there is no URL."""
    return Row(label, url, href=url) if url else None


def email_row(label: str, address: str | None) -> Row | None:
    """A row with a mailto link, or None when there is no address."""
    return Row(label, address, href=f"mailto:{address}") if address else None


def format_meeting_time(start_utc: datetime, end_utc: datetime, zone: tzinfo) -> str:
    """`Wednesday, 21 May 2025, 09:00-09:30 CEST (Europe/Berlin)` in `zone`."""
    start, end = start_utc.astimezone(zone), end_utc.astimezone(zone)
    if start.date() == end.date():
        span = f"{_day(start)}, {start:%H:%M}-{end:%H:%M}"
    else:
        span = f"{_day(start)}, {start:%H:%M} to {_day(end)}, {end:%H:%M}"
    abbreviation = end.tzname() or ""
    name = zone.key if isinstance(zone, ZoneInfo) else "UTC"
    if abbreviation and abbreviation != name:
        return f"{span} {abbreviation} ({name})"
    return f"{span} ({name})"


def format_short_time(start_utc: datetime, zone: tzinfo) -> str:
    """`Wed 21 May, 09:00` in `zone`, for subjects."""
    start = start_utc.astimezone(zone)
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}"


def _day(moment: datetime) -> str:
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"


def _value_html(row: Row) -> str:
    if row.href and row.href.startswith(("https://", "http://", "mailto:")):
        return f'<a href="{escape(row.href, quote=True)}">{escape(row.value)}</a>'
    return escape(row.value)
