"""`wix-meetings privacy erase`: one person's data out of the store, on request; prints counts only."""

from __future__ import annotations

import click

from processor.cli.common import UsageError, json_option, settings_from_context
from processor.cli.output import echo_json
from processor.store import privacy as store_privacy
from processor.store.db import make_engine, make_sessions


def register(cli: click.Group) -> None:
    cli.add_command(privacy)


@click.group()
def privacy() -> None:
    """Privacy requests: erase a person's data from stored events and notifications."""


@privacy.command("erase")
@click.option("--email", help="Every stored event and notification holding this address.")
@click.option("--booking", "booking_id", help="Every stored event of this booking, and its notifications.")
@json_option
def erase(email: str | None, booking_id: str | None, as_json: bool) -> None:
    """Remove the personal data (names, emails, phones, addresses, form fields, free text) and record it."""
    if bool(email) == bool(booking_id):
        raise UsageError("give --email or --booking, one of them")
    subject = (
        store_privacy.Subject("email", email.strip())
        if email
        else store_privacy.Subject("booking", str(booking_id).strip())
    )
    settings = settings_from_context()
    engine = make_engine(settings.database_url)
    try:
        report = store_privacy.erase(make_sessions(engine), subject, requested_by="cli")
    finally:
        engine.dispose()
    if as_json:
        echo_json(report.as_json())
        return
    click.echo(
        f"Erased: {report.events_redacted} event(s) redacted, "
        f"{report.notifications_cleared} notification(s) cleared (record {report.erasure_id})."
    )
