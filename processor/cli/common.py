"""What every command shares: settings loading, --json/--site options, errors mapped to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from processor.config import ConfigError, Settings, load_settings

EXIT_REFUSED = 1
EXIT_USAGE = 2


class RefusedError(click.ClickException):
    """Wix or the store refused: exit 1 with its message."""

    exit_code = EXIT_REFUSED


class UsageError(click.UsageError):
    """Bad usage (unknown id, missing setting, wrong option): exit 2."""


def run_main(group: click.Group) -> None:
    try:
        group.main(standalone_mode=True)
    except ConfigError as exc:  # a bad setting stops start-up naming the setting
        click.echo(f"Error: configuration: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def settings_from_context(*, need_public_key: bool = False) -> Settings:
    """Settings, loaded once per command invocation; a bad setting exits 2 naming it."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    if "settings" not in root.meta:
        try:
            root.meta["settings"] = load_settings(need_public_key=need_public_key)
        except ConfigError as exc:
            raise UsageError(f"configuration: {exc}") from exc
    settings: Settings = root.meta["settings"]
    return settings


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(func)


def site_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--site", "site", default=None, help="Instance id of the site, when several are installed."
    )(func)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, default=str, sort_keys=False))


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned table; empty cells show as '-'."""
    text_rows = [["-" if c is None or c == "" else str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(line.rstrip())
    for row in text_rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
