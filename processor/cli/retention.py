"""`wix-meetings events purge`: the beat task's purge on demand, with a count per status."""

from __future__ import annotations

import re
import sys
from datetime import timedelta

import click

from processor.cli.common import UsageError, json_option, settings_from_context
from processor.cli.output import echo_json, echo_table
from processor.store import retention
from processor.store.db import make_engine, make_sessions

_AGE = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
ON_DEMAND_BUDGET = timedelta(hours=24)  # by hand, the run goes to the end (each batch stays short)


def register(cli: click.Group) -> None:
    events = cli.commands["events"]
    assert isinstance(events, click.Group)
    events.add_command(purge_events)


def parse_age(value: str) -> timedelta:
    """`30d`, `36h`, `2w` as a timedelta; bad usage otherwise."""
    match = _AGE.match(value.strip())
    if match is None:
        raise UsageError(f"--older-than: expected an age like 30d, 36h or 2w, got {value!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option(
    "--older-than", "older_than", help="Instead of RETENTION_DAYS and DEAD_RETENTION_DAYS: 30d, 2w."
)
@click.option(
    "--batch-size", type=click.IntRange(1, 10_000), default=retention.DEFAULT_BATCH, show_default=True
)
@json_option
def purge_events(dry_run: bool, older_than: str | None, batch_size: int, as_json: bool) -> None:
    """Delete finished and dead events past their retention; redact payloads past PAYLOAD_RETENTION_DAYS.

    Events still to be processed are never touched, nor the idempotency ledger."""
    settings = settings_from_context()
    try:
        policy = retention.RetentionPolicy.from_settings(
            settings, older_than=parse_age(older_than) if older_than else None
        )
    except retention.RetentionTooShortError as exc:
        raise UsageError(str(exc)) from exc
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    try:
        planned = retention.plan(sessions, policy)
        if dry_run:
            report = planned
        else:
            total = planned.events_deleted + planned.payloads_redacted
            if total == 0 or as_json:
                report = retention.purge(sessions, policy, batch_size=batch_size, budget=ON_DEMAND_BUDGET)
            else:
                bar_file = sys.stderr  # stdout keeps only the report
                with click.progressbar(length=total, label="Purging", show_pos=True, file=bar_file) as bar:
                    report = retention.purge(
                        sessions, policy, batch_size=batch_size, budget=ON_DEMAND_BUDGET, progress=bar.update
                    )
    finally:
        engine.dispose()
    if as_json:
        echo_json(report.as_json())
        return
    _print(report)


def _print(report: retention.PurgeReport) -> None:
    verb = "Would delete" if report.dry_run else "Deleted"
    click.echo(f"{verb} {report.events_deleted} event(s):")
    echo_table(["status", "events"], sorted(report.deleted.items()) or [("-", 0)])
    click.echo(
        f"with {report.attempts_deleted} attempt(s) and {report.notifications_deleted} notification(s); "
        f"{'would redact' if report.dry_run else 'redacted'} {report.payloads_redacted} payload(s)."
    )
    if report.dry_run:
        click.echo("(dry run, nothing changed)")
