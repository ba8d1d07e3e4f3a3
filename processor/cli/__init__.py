"""The `wix-meetings` command: parse, call plain functions, print. Exit 0 done, 1 refused, 2 bad usage."""

from __future__ import annotations

import click

from processor.cli import bookings, calendars, dev, events, hosts, links, privacy, retention, roles
from processor.cli.common import run_main


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wix-meetings-processor")
def cli() -> None:
    """Process Wix Meetings webhooks: receive, store, queue, run follow-up flows, operate."""


for module in (roles, events, retention, privacy, dev, hosts, links, calendars, bookings):
    module.register(cli)


def main() -> None:
    """Console-script entry point."""
    run_main(cli)
