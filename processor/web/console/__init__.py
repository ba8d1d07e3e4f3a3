"""The ops console: server-rendered pages under /admin (sign-in, events, one event, replays, needs
attention, sites, at a glance). Every asset ships in the package; no build step, nothing from the network."""

from __future__ import annotations

from flask import Flask

from processor.config import Settings
from processor.web.console import (  # noqa: F401  (each module adds its routes to the blueprint)
    attention,
    events,
    formatting,
    glance,
    replays,
    sites_page,
)
from processor.web.console.blueprint import bp
from processor.web.console.security import configure


def init_console(app: Flask, settings: Settings) -> None:
    """Session and template settings, then the blueprint."""
    configure(app, settings)
    app.register_blueprint(bp)


__all__ = ["bp", "init_console"]
