"""`wix-meetings dev fake-wix`: serve the fake Wix API for demos and manual tests."""

from __future__ import annotations

import threading

import click

from processor.devtools.fake_wix import FakeWix


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
    help="demo: a Meetings service, a host, a paid booking and a Google calendar connection.",
)
def fake_wix_command(port: int, seed: str) -> None:
    """Serve the fake Wix API on 127.0.0.1 until Ctrl-C."""
    fake = FakeWix().start(port=port)
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
    click.echo("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
