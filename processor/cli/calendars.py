"""`wix-meetings calendars providers|connect|status|sync`: hosts' external calendars."""

from __future__ import annotations

import sys

import click

from processor.cli.common import UsageError, json_option, site_option
from processor.cli.output import echo_json, echo_table, to_json
from processor.cli.site_access import site_access
from processor.config import server_secret
from processor.meetings.calendars import (
    calendar_status,
    connect_credentials,
    connect_oauth,
    list_providers,
    provider_needs_credentials,
    set_sync,
)
from processor.store.db import utcnow

ON_OFF = click.Choice(["on", "off"])


def register(cli: click.Group) -> None:
    cli.add_command(calendars)


@click.group()
def calendars() -> None:
    """Connect hosts' Google, Microsoft or Apple calendars; status and sync directions."""


@calendars.command("providers")
@json_option
@site_option
def providers(as_json: bool, site: str | None) -> None:
    """Calendar providers and how hosts connect to each."""
    with site_access(site) as access:
        found = list_providers(access.wix)
    if as_json:
        echo_json(to_json(found))
        return
    echo_table(
        ["provider", "type", "connects by", "id"],
        [(p.name, p.calendar_type, ", ".join(p.connect_methods), p.id) for p in found],
    )


@calendars.command("connect")
@click.option("--host", "host_email", required=True, help="The host's email.")
@click.option("--provider", "provider_name", required=True, help="Google, Microsoft, Apple, …")
@click.option("--account-email", help="Credentials providers: the calendar account's email.")
@click.option("--password-stdin", is_flag=True, help="Credentials providers: read the password from stdin.")
@json_option
@site_option
def connect(
    host_email: str,
    provider_name: str,
    account_email: str | None,
    password_stdin: bool,
    as_json: bool,
    site: str | None,
) -> None:
    """Connect a host's calendar: prints the OAuth URL to open, or connects with credentials."""
    if password_stdin and not account_email:
        raise UsageError("--password-stdin needs --account-email")
    with site_access(site) as access:
        if account_email:
            password = _read_password(password_stdin)
            calendar = connect_credentials(
                access.wix,
                host_email=host_email,
                provider_name=provider_name,
                account_email=account_email,
                password=password,
            )
            del password
            if as_json:
                echo_json(to_json(calendar))
                return
            click.echo(
                f"Connected {calendar.calendar_type} calendar of {calendar.account_email}: {calendar.status}."
            )
            click.echo("Wix syncs in a few minutes; check with `wix-meetings calendars status`.")
            return
        if provider_needs_credentials(access.wix, provider_name):
            raise UsageError(
                f"{provider_name} connects with credentials: add --account-email E --password-stdin"
            )
        started = connect_oauth(
            access.wix,
            host_email=host_email,
            provider_name=provider_name,
            instance_id=access.instance_id,
            public_base_url=access.settings.public_base_url,
            secret_key=server_secret(access.settings),
            now=utcnow(),
        )
    if as_json:
        echo_json(to_json(started))
        return
    click.echo(f"Send {host_email} this link to grant {started.provider} calendar access:")
    click.echo(f"  {started.oauth_url}")
    page = started.redirect_url.split("?", 1)[0]
    until = started.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"They come back to {page}, which confirms the connection.")
    click.echo(f"The link works once, until {until}; run this command again for a new one.")


def _read_password(from_stdin: bool) -> str:
    """The account password from stdin (piped) or a hidden prompt; never an argument."""
    if from_stdin and not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Calendar account password", hide_input=True, err=True)
    if not password:
        raise UsageError("empty password")
    return password


@calendars.command("status")
@click.option("--host", "host_email", help="Only this host (email).")
@json_option
@site_option
def status(host_email: str | None, as_json: bool, site: str | None) -> None:
    """Each host's calendar connections: status, error reason, sync directions."""
    with site_access(site) as access:
        found = calendar_status(access.wix, host_email)
    if as_json:
        echo_json(to_json(found))
        return
    rows: list[tuple[object, ...]] = []
    for h in found:
        if not h.calendars:
            rows.append((h.email, "-", "not connected", None, None, None, None))
        for c in h.calendars:
            rows.append(
                (
                    h.email,
                    c.calendar_type,
                    c.status,
                    c.error_reason,
                    c.account_email,
                    "on" if c.import_enabled else "off",
                    "on" if c.export_enabled else "off",
                )
            )
    echo_table(["host", "calendar", "status", "error", "account", "import", "export"], rows)


@calendars.command("sync")
@click.option("--host", "host_email", required=True, help="The host's email.")
@click.option("--import", "import_", type=ON_OFF, help="Busy times in the calendar block booking.")
@click.option("--export", "export", type=ON_OFF, help="Bookings are added to the calendar.")
@json_option
@site_option
def sync(host_email: str, import_: str | None, export: str | None, as_json: bool, site: str | None) -> None:
    """Turn calendar import and export on or off for a host."""
    if import_ is None and export is None:
        raise UsageError("give --import on|off and/or --export on|off")
    with site_access(site) as access:
        updated = set_sync(
            access.wix,
            host_email=host_email,
            import_on=None if import_ is None else import_ == "on",
            export_on=None if export is None else export == "on",
        )
    if as_json:
        echo_json(to_json(updated))
        return
    for c in updated:
        click.echo(
            f"{c.calendar_type} ({c.account_email or '-'}): import {'on' if c.import_enabled else 'off'}, "
            f"export {'on' if c.export_enabled else 'off'}"
        )
