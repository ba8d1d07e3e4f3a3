"""`wix-meetings dev fake-wix`: serve the fake Wix API for demos, manual tests and load runs."""

from __future__ import annotations

import threading

import click

from processor.devtools.fake_wix import FakeWix, FaultRates

RATE = click.FloatRange(0.0, 1.0)


def register_dev(dev_group: click.Group) -> None:
    """Add the `fake-wix` command to the `dev` group."""
    dev_group.add_command(fake_wix_command)


@click.command("fake-wix")
@click.option("--port", default=9876, show_default=True, help="Loopback port to serve on.")
@click.option(
    "--seed",
    type=click.Choice(["demo", "none"]),
    default="demo",
    show_default=True,
    help="demo: a Meetings service, a host, a paid booking and a Google calendar connection "
    "(further sites: a paid Meetings link, its host and a synced Google calendar each).",
)
@click.option("--sites", type=click.IntRange(min=1), default=1, show_default=True, help="Sites served.")
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Delay before every API answer."
)
@click.option("--fault-500", type=RATE, default=0.0, help="Probability a call is answered 500 (not applied).")
@click.option("--fault-429", type=RATE, default=0.0, help="Probability a call is answered 429 (not applied).")
@click.option(
    "--fault-drop", type=RATE, default=0.0, help="Probability a call's connection drops unanswered."
)
@click.option(
    "--fault-lost-answer",
    type=RATE,
    default=0.0,
    help="Probability a write is applied, then its answer lost.",
)
@click.option(
    "--retry-after", type=click.FloatRange(min=0), default=1.0, show_default=True, help="429's wait."
)
@click.option("--seed-random", type=int, default=0, show_default=True, help="Seed of the fault draws.")
@click.option(
    "--request-log",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="Requests kept for /_fake/requests (0: all). Counts in /_fake/stats cover every request.",
)
def fake_wix_command(
    port: int,
    seed: str,
    sites: int,
    latency_ms: float,
    fault_500: float,
    fault_429: float,
    fault_drop: float,
    fault_lost_answer: float,
    retry_after: float,
    seed_random: int,
    request_log: int,
) -> None:
    """Serve the fake Wix API on 127.0.0.1 until Ctrl-C."""
    try:
        rates = FaultRates(
            latency_ms / 1000, fault_500, fault_429, fault_drop, fault_lost_answer, retry_after
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    fake = FakeWix(faults=rates, seed=seed_random, request_log_limit=request_log or None).start(port=port)
    click.echo(f"Fake Wix API on {fake.url}")
    click.echo("API-key mode:")
    click.echo(f"  WIX_API_BASE_URL={fake.url}")
    click.echo(f"  WIX_API_KEY={fake.api_key}")
    click.echo(f"  WIX_SITE_ID={fake.site_id}")
    click.echo(f"App mode (instance {fake.instance_id}):")
    click.echo(f"  WIX_APP_ID={fake.app_id}")
    click.echo(f"  WIX_APP_SECRET={fake.app_secret}")
    if seed == "demo":
        click.echo("Seeded:")
        for name, value in fake.seed_demo().items():
            click.echo(f"  {name}: {value}")
    if sites > 1:
        _serve_more_sites(fake, sites - 1, seeded=seed == "demo")
    if rates.latency or rates.any_random:
        click.echo(
            f"Latency {latency_ms:g} ms; faults: 500 {fault_500:.1%}, 429 {fault_429:.1%} "
            f"(Retry-After {retry_after:g} s), drop {fault_drop:.1%}, lost answer {fault_lost_answer:.1%}; "
            f"seed {seed_random}"
        )
    if sites > 1 or rates.latency or rates.any_random:
        click.echo(f"Stats: GET {fake.url}/_fake/stats")
    click.echo("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


def _serve_more_sites(fake: FakeWix, count: int, *, seeded: bool) -> None:
    """Add `count` sites (seeded like `FakeSite.seed_site` when `seeded`) and list them."""
    click.echo(f"Sites ({count + 1}; the same API key serves each with its WIX_SITE_ID):")
    click.echo(f"  instance_id={fake.instance_id} site_id={fake.site_id}")
    for _ in range(count):
        site = fake.add_site()
        line = f"  instance_id={site.instance_id} site_id={site.site_id}"
        if seeded:
            host = site.seed_site().hosts[0]
            line += f" service_id={host.service_id} connection_id={host.connection_id}"
        click.echo(line)
