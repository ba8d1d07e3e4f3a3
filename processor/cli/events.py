"""`wix-meetings events list|show|replay|replay-notification`: what ops do with stored events."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import click

from processor import event_filters, replay
from processor.cli.common import EXIT_REFUSED, UsageError, json_option, settings_from_context, site_option
from processor.cli.output import echo_json, echo_table
from processor.queue import make_celery
from processor.store import event_json, event_queries
from processor.store.db import make_engine, make_sessions

EVENT_ID = click.IntRange(1, 2**63 - 1)  # the store's ids are signed 64-bit; larger is bad usage (exit 2)


def register(cli: click.Group) -> None:
    cli.add_command(events)


@click.group()
def events() -> None:
    """List, inspect and replay stored events."""


def _session() -> Any:
    return _sessions()()


def _sessions() -> Any:
    settings = settings_from_context()
    return make_sessions(make_engine(settings.database_url))


def _filter(status: str | None, event_type: str | None, since: str | None) -> event_queries.EventFilter:
    try:
        return event_filters.make_filter(status=status, event_type=event_type, since=since)
    except event_filters.BadFilterError as exc:
        raise UsageError(str(exc)) from exc


@events.command("list")
@click.option("--status", type=click.Choice(event_filters.STATUSES), help="Only events in this status.")
@click.option("--type", "event_type", help="Only this eventType.")
@click.option("--since", help="Received since: 2h, 30m, 7d or an ISO timestamp.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@site_option
def list_events(
    status: str | None, event_type: str | None, since: str | None, limit: int, as_json: bool, site: str | None
) -> None:
    """Newest first: a table, or one JSON object a line with --json."""
    where = _filter(status, event_type, since)
    with _session() as session:
        rows, _ = event_queries.page(session, where, limit=limit)
        rows = [r for r in rows if site is None or r.instance_id == site]
        if as_json:
            for row in rows:
                echo_json(event_json.event_to_json(row))
            return
        echo_table(
            ["id", "status", "type", "received", "attempts", "reason"],
            [
                (
                    r.id,
                    r.status,
                    r.event_type,
                    r.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.attempt_count,
                    (r.status_reason or "")[:60],
                )
                for r in rows
            ],
        )
        if not rows:
            click.echo("(no events match)")


@events.command("show")
@click.argument("event_id", type=EVENT_ID)
@json_option
@site_option
def show_event(event_id: int, as_json: bool, site: str | None) -> None:
    """Payload, status, attempts and errors of one event."""
    with _session() as session:
        row = event_queries.get(session, event_id)
        if row is None or (site and row.instance_id != site):
            raise UsageError(f"no event with id {event_id}")
        data = event_json.event_to_json(row)
    if as_json:
        echo_json(data)
        return
    for key in (
        "id",
        "wix_event_id",
        "event_type",
        "source",
        "instance_id",
        "entity_id",
        "status",
        "status_reason",
        "received_at",
        "next_attempt_at",
        "payload_redacted_at",
    ):
        click.echo(f"{key:16} {data[key] if data[key] is not None else '-'}")
    click.echo("attempts:")
    if not data["attempts"]:
        click.echo("  (none yet)")
    for a in data["attempts"]:
        error = f"  {a['error']}" if a["error"] else ""
        ended = a["finished_at"] or "…"
        click.echo(f"  #{a['number']} {a['started_at']} → {ended} {a['outcome'] or 'running'}{error}")
    click.echo("notifications:")
    if not data["notifications"]:
        click.echo("  (none)")
    for n in data["notifications"]:
        error = f"  {n['last_error']}" if n["last_error"] else ""
        tries = f"{n['attempts']} attempt(s)"
        click.echo(
            f"  {n['id']} {n['channel']} {n['kind']} to {n['recipient_role']}: {n['status']}, {tries}{error}"
        )

    click.echo("payload:")
    click.echo(json.dumps(data["payload"], indent=2))


@events.command("replay")
@click.argument("event_ids", nargs=-1, type=EVENT_ID)
@click.option(
    "--status", type=click.Choice(event_filters.STATUSES), help="Replay every event in this status."
)
@click.option("--type", "event_type", help="With --status: only this eventType.")
@click.option("--since", help="With --status: received since 2h, 30m, 7d or an ISO timestamp.")
@click.option("--dry-run", is_flag=True, help="Show what would be replayed; change nothing.")
@click.option("--force", is_flag=True, help="Also replay succeeded events.")
@json_option
@site_option
def replay_events(
    event_ids: tuple[int, ...],
    status: str | None,
    event_type: str | None,
    since: str | None,
    dry_run: bool,
    force: bool,
    as_json: bool,
    site: str | None,
) -> None:
    """Re-enqueue events by id, or every event matching --status [--type] [--since]."""
    if bool(event_ids) == bool(status):
        raise UsageError("give event ids, or --status (with optional --type/--since), not both")
    settings = settings_from_context()
    with _session() as session:
        if event_ids:
            ids = list(event_ids)
        else:
            ids = event_queries.matching_ids(session, _filter(status, event_type, since))
        if site:
            ids = [
                i for i in ids if (e := event_queries.get(session, i)) is not None and e.instance_id == site
            ]
        if dry_run:
            _print_dry_run(session, ids, as_json)
            return
        celery = make_celery(settings)
        if len(ids) > 1 and not as_json:
            with click.progressbar(length=len(ids), label="Replaying", show_pos=True) as bar:
                result = replay.replay(session, celery, ids, force=force, progress=bar.update)
        else:
            result = replay.replay(session, celery, ids, force=force)
    if as_json:
        echo_json(
            {"replayed": len(result.replayed), "published": result.published, "skipped": result.skipped}
        )
    else:
        click.echo(
            f"Replayed {len(result.replayed)} of {len(ids)} event(s); {result.published} sent to the broker."
        )
        if result.published < len(result.replayed):
            click.echo("The broker did not take them all; the sweep will send the rest.")
        if result.skipped:
            hint = "" if force else " (succeeded events need --force)"
            click.echo(f"Not replayable{hint}: {', '.join(map(str, result.skipped[:20]))}")
    if ids and not result.replayed:
        raise SystemExit(EXIT_REFUSED)


def _print_dry_run(session: Any, ids: list[int], as_json: bool) -> None:
    if as_json:
        echo_json({"dry_run": True, "would_replay": len(ids), "event_ids": ids})
        return
    click.echo(f"Would replay {len(ids)} event(s) (dry run, nothing changed):")
    for event_id in ids[:50]:
        row = event_queries.get(session, event_id)
        if row is not None:
            click.echo(f"  {row.id}  {row.status:10} {row.event_type}")
    if len(ids) > 50:
        click.echo(f"  … and {len(ids) - 50} more")


@events.command("replay-notification")
@click.argument("notification_ids", nargs=-1, type=int, required=True)
@json_option
@site_option
def replay_notification(notification_ids: tuple[int, ...], as_json: bool, site: str | None) -> None:
    """Send failed notifications again (ids from `events show`), each with a fresh attempt budget."""
    settings = settings_from_context()
    sessions, celery = _sessions(), make_celery(settings)
    lease = timedelta(seconds=settings.stuck_after_seconds)
    results = {i: replay.replay_notification(sessions, celery, i, lease=lease) for i in notification_ids}
    replayed = [i for i, r in results.items() if r is not None and r.replayed]
    if as_json:
        echo_json(
            {
                "replayed": len(replayed),
                "skipped": {
                    str(i): (r.status if r else "not_found") for i, r in results.items() if i not in replayed
                },
            }
        )
    else:
        for i, r in results.items():
            if r is None:
                click.echo(f"Notification {i}: not found.")
            elif r.replayed:
                sent = "sent to a worker" if r.published else "the sweep sends it (broker unavailable)"
                click.echo(f"Notification {i}: pending again, {sent}.")
            else:
                click.echo(f"Notification {i}: not replayed, it is {r.status} (only failed ones are).")
    if len(replayed) < len(notification_ids):
        raise SystemExit(EXIT_REFUSED)
