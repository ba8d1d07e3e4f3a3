"""Which site an ops action works on, and its Wix client and store, opened only when needed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from processor.config import Settings
from processor.meetings_admin.errors import NotFoundError
from processor.store.db import Sessions, make_engine, make_sessions
from processor.store.ledger import Ledger
from processor.wix import MemoryTokenCache, TokenCache, WixClient, WixNotConfiguredError, make_wix_client


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
