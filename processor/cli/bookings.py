"""`wix-meetings bookings list|show|slots|reschedule|cancel`: meetings customers booked."""

from __future__ import annotations

from datetime import date, datetime

import click

from processor.cli.common import EXIT_REFUSED, UsageError, json_option, site_option
from processor.cli.output import Spinner, echo_json, echo_table, to_json
from processor.cli.site_access import site_access
from processor.meetings.bookings import cancel as cancel_booking
from processor.meetings.bookings import list_bookings, list_slots, reschedule, show_booking

DATE = click.DateTime(formats=["%Y-%m-%d"])


def register(cli: click.Group) -> None:
    cli.add_command(bookings)


@click.group()
def bookings() -> None:
    """Upcoming meetings: list, free slots, reschedule, cancel with refund."""


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@bookings.command("list")
@click.option("--host", "host_email", help="Only this host's meetings (email).")
@click.option("--from", "date_from", type=DATE, help="First day (UTC), YYYY-MM-DD; default today.")
@click.option("--to", "date_to", type=DATE, help="Last day (UTC), YYYY-MM-DD, inclusive.")
@json_option
@site_option
def list_bookings_command(
    host_email: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    as_json: bool,
    site: str | None,
) -> None:
    """Meetings bookings from today (or --from) on, oldest first."""
    if date_from and date_to and date_to < date_from:
        raise UsageError("--to is before --from")
    spinner = Spinner("Reading bookings", enabled=not as_json)
    with site_access(site) as access:
        found = list_bookings(
            access.wix,
            host_email=host_email,
            date_from=_day(date_from),
            date_to=_day(date_to),
            progress=spinner,
        )
        spinner.done()
    if as_json:
        for view in found:
            echo_json(to_json(view))
        return
    echo_table(
        ["booking", "starts (local)", "zone", "status", "payment", "host", "attendee"],
        [
            (v.booking_id, v.local_start, v.timezone, v.status, v.payment_status, v.host, v.attendee)
            for v in found
        ],
    )
    if not found:
        click.echo("(no bookings in this range)")


@bookings.command("show")
@click.argument("booking_id")
@json_option
@site_option
def show(booking_id: str, as_json: bool, site: str | None) -> None:
    """One booking: time, people, status, payment, what Wix allows next."""
    with site_access(site) as access:
        view = show_booking(access.wix, booking_id)
    if as_json:
        echo_json(to_json(view))
        return
    for key, value in to_json(view).items():
        shown = "-" if value is None else ("yes" if value is True else "no" if value is False else value)
        click.echo(f"{key.replace('_', ' ') + ':':16}{shown}")


@bookings.command("slots")
@click.argument("booking_id")
@click.option("--from", "date_from", type=DATE, required=True, help="First local day, YYYY-MM-DD.")
@click.option("--to", "date_to", type=DATE, required=True, help="Last local day, YYYY-MM-DD, inclusive.")
@json_option
@site_option
def slots(booking_id: str, date_from: datetime, date_to: datetime, as_json: bool, site: str | None) -> None:
    """Free slots of this booking's link and host, in the booking's time zone."""
    if date_to < date_from:
        raise UsageError("--to is before --from")
    if (date_to - date_from).days > 31:
        raise UsageError("ask for at most 31 days at a time")
    with site_access(site) as access:
        found = list_slots(access.wix, booking_id, date_from.date(), date_to.date())
    if as_json:
        for slot in found:
            echo_json(to_json(slot))
        return
    echo_table(["start", "end", "zone"], [(s.start, s.end, s.timezone) for s in found])
    if not found:
        click.echo("(no free slots in this range)")
    else:
        click.echo(
            f"Move a booking with: wix-meetings bookings reschedule {booking_id} --slot {found[0].start}"
        )


@bookings.command("reschedule")
@click.argument("booking_id")
@click.option(
    "--slot",
    "slot_start",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]),
    required=True,
    help="Start of the new slot, local time of the booking: YYYY-MM-DDThh:mm:ss.",
)
@json_option
@site_option
def reschedule_command(booking_id: str, slot_start: datetime, as_json: bool, site: str | None) -> None:
    """Move a booking to the free slot starting then (re-checked with Wix first)."""
    with site_access(site) as access:
        view = reschedule(access.wix, booking_id, slot_start)
    if as_json:
        echo_json(to_json(view))
        return
    click.echo(
        f"Rescheduled {view.booking_id} to {view.local_start} ({view.timezone}), revision {view.revision}."
    )


@bookings.command("cancel")
@click.argument("booking_id")
@click.option("--refund", is_flag=True, help="Also refund its online payment (at most once).")
@json_option
@site_option
def cancel(booking_id: str, refund: bool, as_json: bool, site: str | None) -> None:
    """Cancel a booking; --refund refunds what was paid online, exactly once."""
    with site_access(site) as access:
        result = cancel_booking(access.wix, access.ledger, booking_id, refund=refund)
    failed = result.refund is not None and result.refund.status == "refund_failed"
    if as_json:
        echo_json(to_json(result))
        if failed:
            raise SystemExit(EXIT_REFUSED)
        return
    state = "was already canceled" if result.already_canceled else "is canceled"
    click.echo(f"Booking {booking_id} {state}.")
    if result.refund is not None:
        r = result.refund
        text = {
            "refunded": f"refunded {r.amount} {r.currency or ''} (refund {r.refund_id})",
            "already_refunded": f"already refunded ({r.amount} {r.currency or ''})",
            "nothing_to_refund": "nothing left to refund",
            "not_refundable": "Wix says the payment can't be refunded here: refund it by hand",
            "no_order": "no online payment to refund",
            "refund_failed": f"our refund {r.refund_id or ''} failed at Wix, no money moved; refund by hand",
        }.get(r.status, r.status)
        click.echo(f"Refund: {text}.")
    if failed:
        raise SystemExit(EXIT_REFUSED)
