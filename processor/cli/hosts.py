"""`wix-meetings hosts setup|list|hours|off`: set a host up; hosts with links and calendars; their hours."""

from __future__ import annotations

import io

import click
import segno

from processor.cli.common import json_option, site_option
from processor.cli.host_hours import (
    SPEC_HELP,
    TZ_HELP,
    hours_command,
    off_command,
    parse_hours_options,
    print_hours,
)
from processor.cli.output import Spinner, echo_json, echo_table, to_json
from processor.cli.site_access import site_access
from processor.meetings.hosts import list_hosts
from processor.meetings.setup import setup_host


def register(cli: click.Group) -> None:
    cli.add_command(hosts)


@click.group()
def hosts() -> None:
    """Set up hosts, see their links and calendars, give them working hours and days off."""


hosts.add_command(hours_command)
hosts.add_command(off_command)


@hosts.command("setup")
@click.option("--email", required=True, help="The host's email: a collaborator of the site.")
@click.option("--name", required=True, help="The host's name, as customers see it.")
@click.option("--duration", type=click.IntRange(5, 24 * 60), help="Meeting length in minutes.")
@click.option("--hours", "specs", multiple=True, metavar="'DAYS HH:MM-HH:MM…'", help=SPEC_HELP)
@click.option("--tz", "time_zone", help=TZ_HELP)
@json_option
@site_option
def setup(
    email: str,
    name: str,
    duration: int | None,
    specs: tuple[str, ...],
    time_zone: str | None,
    as_json: bool,
    site: str | None,
) -> None:
    """Set a host up (idempotent): Meetings, staff member, user link, the default link's host, hours."""
    plan = parse_hours_options(specs, time_zone, "--hours")
    with site_access(site) as access:
        result = setup_host(
            access.wix, email=email, name=name, duration=duration, hours=plan, time_zone=time_zone
        )
    if as_json:
        echo_json(to_json(result))
        return
    for change in result.changes:
        click.echo(f"changed: {change}")
    if not result.changes:
        click.echo("Nothing to change: the host is already set up.")
    click.echo(f"host:     {result.name or name} <{result.email}> (staff member {result.staff_member_id})")
    click.echo(
        f"link:     {result.service_name or '-'} ({result.service_id}), "
        f"{result.duration_minutes or '?'} minutes"
    )
    if result.hours is not None:
        print_hours(result.hours)
    if result.booking_page_url:
        click.echo(f"booking page: {result.booking_page_url}")
        click.echo(qr_code(result.booking_page_url), nl=False)


def qr_code(url: str) -> str:
    """A QR code of the URL drawn with block characters, for a phone camera."""
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


@hosts.command("list")
@json_option
@site_option
def list_hosts_command(as_json: bool, site: str | None) -> None:
    """Hosts, their scheduling links and calendar status."""
    spinner = Spinner("Reading hosts, links and calendars", enabled=not as_json)
    with site_access(site) as access:
        spinner(0)
        found = list_hosts(access.wix)
        spinner.done()
    if as_json:
        echo_json(to_json(found))
        return
    rows: list[tuple[object, ...]] = []
    for h in found:
        links = ", ".join(f"{link.name} ({'on' if link.active else 'off'})" for link in h.links) or "-"
        calendars = (
            ", ".join(
                f"{c.calendar_type} {c.status}" + (f" ({c.error_reason})" if c.error_reason else "")
                for c in h.calendars
            )
            or "none"
        )
        rows.append((h.name, h.email, "yes" if h.connected_to_user else "no", links, calendars))
    echo_table(["host", "email", "user", "links", "calendar"], rows)
    if not found:
        click.echo("(no hosts yet: `wix-meetings hosts setup --email … --name …`)")
    notes = {h.calendar_note for h in found if h.calendar_note}
    for note in notes:
        click.echo(f"note: {note}", err=True)
