"""Which site a command works on (its Wix client and store, opened when needed), and errors → exit codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Engine

from processor.cli.common import RefusedError, UsageError, settings_from_context
from processor.config import Settings
from processor.logs import configure_logging
from processor.meetings.errors import InvalidInputError, MeetingsError, NotFoundError
from processor.store import sites
from processor.store.db import Sessions, make_engine, make_sessions
from processor.store.ledger import Ledger, LedgerBusyError
from processor.wix import (
    MemoryTokenCache,
    TokenCache,
    WixClient,
    WixError,
    WixInvalidIdError,
    WixNotConfiguredError,
    WixPermissionError,
    WixUnavailableError,
    make_wix_client,
)


@contextmanager
def site_access(site: str | None) -> Iterator[SiteAccess]:
    """The site of this command; every failure becomes exit 1 (refused) or 2 (bad usage)."""
    with refusals_as_exit_codes():
        settings = settings_from_context()
        if not structlog.is_configured():  # our messages say it; keep Wix call warnings quiet
            configure_logging(settings, level=logging.ERROR)
        access = open_site(settings, site, installed=_installed_sites(settings))
        try:
            yield access
        finally:
            access.close()


@contextmanager
def refusals_as_exit_codes() -> Iterator[None]:
    """Map refusals of an action on a site, Wix's and the store's, to click errors with their exit codes."""
    try:
        yield
    except (NotFoundError, InvalidInputError, WixNotConfiguredError, WixInvalidIdError) as exc:
        raise UsageError(str(exc)) from None
    except MeetingsError as exc:
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


@dataclass
class SiteAccess:
    """One site: its instance id (WIX_SITE_ID in API-key mode), Wix client, store sessions and ledger."""

    settings: Settings
    instance_id: str
    wix: WixClient
    _engine: Engine | None = field(default=None, repr=False)
    _sessions: Sessions | None = field(default=None, repr=False)

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            self._engine = make_engine(self.settings.database_url)
            self._sessions = make_sessions(self._engine)
        return self._sessions

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.sessions)

    def close(self) -> None:
        """Release the store's connections, if any were opened."""
        if self._engine is not None:
            self._engine.dispose()


def resolve_instance_id(settings: Settings, site: str | None, installed: list[str] | None = None) -> str:
    """The site to work on: WIX_SITE_ID in API-key mode; in app mode --site, or the one installed site."""
    mode = settings.wix_auth_mode
    if mode == "api_key" and settings.wix_site_id:
        if site and site != settings.wix_site_id:
            raise NotFoundError(
                f"--site {site}: this processor serves only WIX_SITE_ID {settings.wix_site_id}"
            )
        return settings.wix_site_id
    if mode != "app":
        raise WixNotConfiguredError(
            "Wix is not configured: set WIX_API_KEY and WIX_SITE_ID (one site), "
            "or WIX_APP_ID and WIX_APP_SECRET (app mode)"
        )
    if site:
        if installed is not None and site not in installed:
            raise NotFoundError(f"--site {site}: no installed site with this instance id")
        return site
    if installed and len(installed) == 1:
        return installed[0]
    known = ", ".join(installed or []) or "none recorded yet"
    raise NotFoundError(f"app mode: give --site INSTANCE_ID (installed sites: {known})")


def open_site(
    settings: Settings,
    site: str | None,
    *,
    installed: list[str] | None = None,
    token_cache: TokenCache | None = None,
) -> SiteAccess:
    """Resolve the site and build its Wix client; nothing is called yet."""
    instance_id = resolve_instance_id(settings, site, installed)
    wix = make_wix_client(settings, instance_id, token_cache or MemoryTokenCache())
    return SiteAccess(settings, instance_id, wix)
