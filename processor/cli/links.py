"""`wix-meetings links create|price|list|show|deactivate|activate`: scheduling links."""

from __future__ import annotations

from decimal import Decimal

import click

from processor.cli.common import UsageError, json_option, site_option
from processor.cli.output import Spinner, echo_json, echo_table, to_json
from processor.cli.site_access import site_access
from processor.meetings.link_switch import set_link_active
from processor.meetings.links import Link, create_link, list_links, parse_amount, price_link, show_link


def register(cli: click.Group) -> None:
    cli.add_command(links)


@click.group()
def links() -> None:
    """Scheduling links (Meetings services) and their booking pages."""


def _echo_link(link: Link) -> None:
    price = "free"
    if link.price:
        price = f"{link.price} {link.currency or ''}".strip()
        if link.deposit:
            price += f" (deposit {link.deposit})"
    for label, value in (
        ("link", f"{link.name or '-'} ({link.service_id})"),
        ("online booking", "active" if link.active else "deactivated"),
        ("booking page", link.booking_page_url or "-"),
        ("duration", f"{link.duration_minutes} minutes" if link.duration_minutes else "-"),
        ("hosts", ", ".join(link.hosts) or "-"),
        ("price", price),
        ("redirect when off", link.deactivated_redirect_url or "-"),
    ):
        click.echo(f"{label + ':':19}{value}")


@links.command("create")
@click.option("--name", required=True, help="The link's name, shown to customers.")
@click.option("--duration", type=click.IntRange(5, 24 * 60), help="Meeting length in minutes (default 30).")
@click.option("--host", "host_email", help="Host email (needed when the site has several hosts).")
@json_option
@site_option
def create(name: str, duration: int | None, host_email: str | None, as_json: bool, site: str | None) -> None:
    """Create a Meetings scheduling link (free until priced)."""
    with site_access(site) as access:
        link = create_link(access.wix, name=name, duration=duration, host_email=host_email)
    if as_json:
        echo_json(to_json(link))
        return
    click.echo("Created.")
    _echo_link(link)


@links.command("price")
@click.argument("service_id")
@click.option("--amount", help="Price, e.g. 50 or 49.90.")
@click.option("--currency", help="Currency code, e.g. USD (Wix uses the site's currency).")
@click.option("--deposit", help="Paid up front online; the rest later. Less than --amount.")
@click.option("--free", is_flag=True, help="Make the meeting free.")
@json_option
@site_option
def price(
    service_id: str,
    amount: str | None,
    currency: str | None,
    deposit: str | None,
    free: bool,
    as_json: bool,
    site: str | None,
) -> None:
    """Make a link paid (--amount --currency [--deposit]) or --free."""
    if free == (amount is not None):
        raise UsageError("give --amount with --currency, or --free")
    if free and (currency or deposit):
        raise UsageError("--free takes no --currency or --deposit")
    parsed: Decimal | None = None
    parsed_deposit: Decimal | None = None
    if not free:
        if not currency:
            raise UsageError("--amount needs --currency")
        try:
            parsed = parse_amount(amount or "", "--amount")
            parsed_deposit = parse_amount(deposit, "--deposit") if deposit else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    with site_access(site) as access:
        link, changed = price_link(
            access.wix,
            service_id,
            amount=parsed,
            currency=currency and currency.upper(),
            deposit=parsed_deposit,
        )
    if as_json:
        echo_json({**to_json(link), "changed": changed})
        return
    click.echo("Updated." if changed else "Nothing to change: the link already has this price.")
    if link.currency and currency and link.currency != currency.upper():
        click.echo(f"note: Wix prices this site in {link.currency}, not {currency.upper()}.", err=True)
    _echo_link(link)


@links.command("list")
@json_option
@site_option
def list_links_command(as_json: bool, site: str | None) -> None:
    """Every scheduling link with its booking page."""
    spinner = Spinner("Reading links", enabled=not as_json)
    with site_access(site) as access:
        spinner(0)
        found = list_links(access.wix)
        spinner.done()
    if as_json:
        echo_json(to_json(found))
        return
    echo_table(
        ["service", "name", "online", "minutes", "price", "hosts", "booking page"],
        [
            (
                link.service_id,
                link.name,
                "on" if link.active else "off",
                link.duration_minutes,
                f"{link.price} {link.currency or ''}".strip() if link.price else "free",
                ", ".join(link.hosts),
                link.booking_page_url,
            )
            for link in found
        ],
    )
    if not found:
        click.echo("(no scheduling links yet)")


@links.command("show")
@click.argument("service_id")
@json_option
@site_option
def show(service_id: str, as_json: bool, site: str | None) -> None:
    """One link: state, booking page, duration, hosts, price."""
    with site_access(site) as access:
        link = show_link(access.wix, service_id)
    if as_json:
        echo_json(to_json(link))
        return
    _echo_link(link)


@links.command("deactivate")
@click.argument("service_id")
@click.option("--redirect", "redirect_url", help="Send visitors here instead of an 'unavailable' page.")
@json_option
@site_option
def deactivate(service_id: str, redirect_url: str | None, as_json: bool, site: str | None) -> None:
    """Stop online booking on a link."""
    if redirect_url and not redirect_url.startswith(("https://", "http://")):
        raise UsageError("--redirect: expected an http(s) URL")
    _set_active(service_id, False, redirect_url, as_json, site)


@links.command("activate")
@click.argument("service_id")
@json_option
@site_option
def activate(service_id: str, as_json: bool, site: str | None) -> None:
    """Resume online booking on a link."""
    _set_active(service_id, True, None, as_json, site)


def _set_active(
    service_id: str, active: bool, redirect_url: str | None, as_json: bool, site: str | None
) -> None:
    with site_access(site) as access:
        link, changed = set_link_active(
            access.wix,
            access.sessions,
            service_id,
            instance_id=access.instance_id,
            active=active,
            redirect_url=redirect_url,
        )
    if as_json:
        echo_json({**to_json(link), "changed": changed})
        return
    state = "active" if link.active else "off"
    click.echo(
        f"Online booking is now {state}." if changed else f"Nothing to change: online booking was {state}."
    )
    _echo_link(link)
