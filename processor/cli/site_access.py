"""Click glue of the site commands (hosts, links, calendars, bookings): open the site, map errors."""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import structlog

from processor.cli.common import RefusedError, UsageError, settings_from_context
from processor.config import Settings
from processor.logs import configure_logging
from processor.meetings_admin.errors import AdminError, NotFoundError
from processor.meetings_admin.site import SiteAccess, open_site
from processor.store import sites
from processor.store.db import make_engine, make_sessions
from processor.store.ledger import LedgerBusyError
from processor.wix import WixError, WixNotConfiguredError, WixPermissionError, WixUnavailableError


@contextmanager
def site_access(site: str | None) -> Iterator[SiteAccess]:
    """The site of this command; every failure becomes exit 1 (refused) or 2 (bad usage)."""
    with admin_errors():
        settings = settings_from_context()
        if not structlog.is_configured():  # our messages say it; keep Wix call warnings quiet
            configure_logging(settings, level=logging.ERROR)
        access = open_site(settings, site, installed=_installed_sites(settings))
        try:
            yield access
        finally:
            access.close()


@contextmanager
def admin_errors() -> Iterator[None]:
    """Map ops-action and Wix failures to click errors with their exit codes."""
    try:
        yield
    except (NotFoundError, WixNotConfiguredError) as exc:
        raise UsageError(str(exc)) from None
    except AdminError as exc:
        raise RefusedError(str(exc)) from None
    except WixPermissionError as exc:
        raise RefusedError(f"Wix refused (missing permission or premium plan): {exc}") from None
    except WixUnavailableError as exc:
        raise RefusedError(f"Wix is unavailable right now, try again later: {exc}") from None
    except WixError as exc:
        raise RefusedError(f"Wix refused: {exc}") from None
    except LedgerBusyError as exc:
        raise RefusedError(f"the store refused: {exc}") from None


def _app(settings: Settings) -> bool:
    return settings.wix_auth_mode == "app"


def _installed_sites(settings: Settings) -> list[str] | None:
    """Installed instance ids from the store (app mode only: API-key mode serves WIX_SITE_ID)."""
    if not _app(settings):
        return None
    engine = make_engine(settings.database_url)
    try:
        return sites.installed_instance_ids(make_sessions(engine), settings)
    finally:
        engine.dispose()


class Spinner:
    """A progress line on stderr for long listings; silent when stderr is not a terminal."""

    def __init__(self, label: str, *, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self._frame = 0

    def __call__(self, count: int) -> None:
        if self.enabled:
            self._frame += 1
            mark = "|/-\\"[self._frame % 4]
            click.echo(f"\r{mark} {self.label}… {count}", err=True, nl=False)

    def done(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


def to_json(value: Any) -> Any:
    """Dataclasses (and lists of them) as plain JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value
