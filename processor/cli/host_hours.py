"""`wix-meetings hosts hours|off`: a host's weekly working hours and days off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click

from processor.cli.common import UsageError, json_option, site_option
from processor.cli.output import echo_json, echo_table, to_json
from processor.cli.site_access import refusals_as_exit_codes, site_access
from processor.meetings.days_off import DayOffChange, TimeOff, add_day_off, remove_day_off
from processor.meetings.hours import OWN, HostHours, set_hours, show_hours, use_business_hours
from processor.meetings.hours_spec import WeeklyPlan, parse_plan, parse_zone

DATE = click.DateTime(formats=["%Y-%m-%d"])
SPEC_HELP = 'Days and ranges, e.g. "tue-thu 10:00-16:00" or "mon,wed 09:00-12:00 13:00-17:00"; repeatable.'
TZ_HELP = "IANA zone of the hours (default: the host's current hours' zone, else the site's)."


def parse_hours_options(specs: Sequence[str], time_zone: str | None, spec_option: str) -> WeeklyPlan | None:
    """The week from repeated `--set`/`--hours`, checked with `--tz` before any Wix call."""
    if time_zone and not specs:
        raise UsageError(f"--tz goes with {spec_option}: give the hours it applies to")
    with refusals_as_exit_codes():
        if time_zone:
            parse_zone(time_zone)
        return parse_plan(specs) if specs else None


@click.command("hours")
@click.option("--email", required=True, help="The host's email.")
@click.option("--set", "specs", multiple=True, metavar="'DAYS HH:MM-HH:MM…'", help=SPEC_HELP)
@click.option("--tz", "time_zone", help=TZ_HELP)
@click.option("--business", is_flag=True, help="Back to the site's business hours.")
@json_option
@site_option
def hours_command(
    email: str, specs: tuple[str, ...], time_zone: str | None, business: bool, as_json: bool, site: str | None
) -> None:
    """Show a host's weekly hours and days off; --set gives them their own, --business the site's."""
    if business and (specs or time_zone):
        raise UsageError("--business goes alone: it replaces the host's own hours with the business hours")
    plan = parse_hours_options(specs, time_zone, "--set")
    with site_access(site) as access:
        if business:
            result = use_business_hours(access.wix, email)
        elif plan is not None:
            result = set_hours(access.wix, email, plan, time_zone)
        else:
            result = show_hours(access.wix, email)
    if as_json:
        echo_json(to_json(result))
        return
    if business or plan is not None:
        echo_changes(result.changes, "the host already works these hours.")
    print_hours(result)


@click.command("off")
@click.option("--email", required=True, help="The host's email.")
@click.option("--from", "first", type=DATE, help="First day off, YYYY-MM-DD (the host's zone).")
@click.option("--to", "last", type=DATE, help="Last day off, inclusive (default: the --from day).")
@click.option("--reason", help="Shown as the block's title, e.g. Holiday (1-200 characters).")
@click.option("--remove", "event_id", metavar="ID", help="Remove this day off (ids: `hosts hours`).")
@json_option
@site_option
def off_command(
    email: str,
    first: datetime | None,
    last: datetime | None,
    reason: str | None,
    event_id: str | None,
    as_json: bool,
    site: str | None,
) -> None:
    """Block whole days for a host (--from/--to), or remove a day off (--remove ID)."""
    if event_id and (first or last or reason is not None):
        raise UsageError("--remove goes alone, without --from, --to or --reason")
    if not event_id and not first:
        raise UsageError("give --from DATE [--to DATE] to block days, or --remove ID to unblock them")
    with site_access(site) as access:
        if event_id:
            result = remove_day_off(access.wix, email, event_id)
        else:
            assert first is not None
            last_day = (last or first).date()
            result = add_day_off(access.wix, email, first.date(), last_day, reason)
    if as_json:
        echo_json(to_json(result))
        return
    echo_changes(result.changes, _unchanged(result, removing=bool(event_id)))
    if not event_id:
        print_days_off([result.day_off])


def _unchanged(result: DayOffChange, *, removing: bool) -> str:
    off = result.day_off
    if removing:
        return f"{off.label()} (event {off.event_id}) is removed already."
    return f"{off.label()} is blocked already (event {off.event_id})."


def echo_changes(changes: Sequence[str], unchanged: str) -> None:
    for change in changes:
        click.echo(f"changed: {change}")
    if not changes:
        click.echo(f"Nothing to change: {unchanged}")


def print_hours(result: HostHours) -> None:
    """Whose hours, the weekly ranges in the host's zone, then the days off."""
    whose = "their own hours" if result.source == OWN else "the business hours"
    zone = f", {result.time_zone}" if result.time_zone else ""
    click.echo(f"hours:    {result.name or '-'} <{result.email}> works {whose}{zone}")
    if result.hours:
        echo_table(
            ["day", "from", "to", "zone", "repeats", "event"],
            [
                (
                    r.weekday.capitalize(),
                    r.start,
                    r.end,
                    r.time_zone,
                    ("weekly" if r.every_weeks == 1 else f"every {r.every_weeks} weeks")
                    + (f" until {r.until}" if r.until else ""),
                    r.event_id,
                )
                for r in result.hours
            ],
        )
    else:
        click.echo("(no weekly hours: customers can't book this host)")
    print_days_off(result.days_off)


def print_days_off(days_off: Sequence[TimeOff]) -> None:
    """Whole days as first/last day, other blocks as local start/end."""
    if not days_off:
        click.echo("days off: none ahead")
        return
    echo_table(
        ["day off from", "to", "zone", "reason", "id"],
        [(o.first_day or o.start, o.last_day or o.end, o.time_zone, o.reason, o.event_id) for o in days_off],
    )
