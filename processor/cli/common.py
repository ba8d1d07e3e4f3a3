"""What every command shares: settings loading, --json/--site options, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
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
