"""Which site a request reaches and whether it may: app tokens per instance, API key + `wix-site-id`."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from processor.devtools.fake_wix_core import FakeState, FakeWixError, JsonDict
from processor.devtools.fake_wix_http import HttpRequest
from processor.devtools.fake_wix_sites import FakeSite, RequestLog, TokenGrant

TOKEN_LIFETIME_SECONDS = 14400


@dataclass
class Caller:
    """The site a request reached, if any can be told, and why it may not pass authentication."""

    site: FakeSite | None
    refusal: FakeWixError | None = None


def unauthenticated() -> FakeWixError:
    return FakeWixError(401, "invalid or expired credentials", code="UNAUTHENTICATED")


class SiteRegistry:
    """The sites of one fake, found by instance id, site id, token or API key; issues the tokens."""

    def __init__(self, lock: threading.RLock, log: RequestLog) -> None:
        self.lock = lock
        self.log = log
        self.tokens: dict[str, TokenGrant] = {}
        self.sites: dict[str, FakeSite] = {}
        self._by_site_id: dict[str, FakeSite] = {}
        self._by_api_key: dict[str, FakeSite] = {}

    def add(
        self,
        instance_id: str,
        site_id: str,
        *,
        app_id: str,
        api_key: str | None = None,
        owns_unattributed: bool = False,
    ) -> FakeSite:
        with self.lock:
            if instance_id in self.sites or site_id in self._by_site_id:
                raise ValueError(f"a site with instance {instance_id} or site id {site_id} exists")
            site = FakeSite(
                FakeState(site_id=site_id, instance_id=instance_id),
                lock=self.lock,
                log=self.log,
                tokens=self.tokens,
                app_id=app_id,
                api_key=api_key,
                owns_unattributed=owns_unattributed,
            )
            self.sites[instance_id] = self._by_site_id[site_id] = site
            if api_key:
                self._by_api_key[api_key] = site
            return site

    def caller(self, request: HttpRequest, body: Any, *, is_token: bool, api_key: str) -> Caller:
        """Tell the site (for counting and faults) and check the credentials (refused at dispatch)."""
        if is_token:
            instance_id = body.get("instance_id") if isinstance(body, dict) else None
            with self.lock:
                return Caller(self.sites.get(instance_id) if isinstance(instance_id, str) else None)
        value = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self.lock:
            grant = self.tokens.get(value) if value else None
            if grant is not None:
                site = self.sites.get(grant.instance_id)
                valid = not grant.revoked and grant.expires_at > datetime.now(UTC)
                return Caller(site, None if valid and site and site.installed else unauthenticated())
            site = self._by_site_id.get(request.headers.get("wix-site-id", ""))
            key_owner = self._by_api_key.get(value) if value else None
        if value and (secrets.compare_digest(value, api_key) or key_owner is not None):
            if site is None or (key_owner is not None and key_owner is not site):
                forbidden = FakeWixError(403, "wix-site-id missing or not this key's site", code="FORBIDDEN")
                return Caller(site or key_owner, forbidden)
            return Caller(site)
        return Caller(site, unauthenticated())

    def issue_token(self, body: Any, site: FakeSite | None, *, app_id: str, app_secret: str) -> JsonDict:
        """`POST /oauth2/token`: client credentials for an installed instance, else Wix's refusal."""
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "client_credentials":
            raise FakeWixError(400, "unsupported grant_type", code="INVALID_GRANT_TYPE")
        if body.get("client_id") != app_id or body.get("client_secret") != app_secret:
            raise FakeWixError(401, "invalid client credentials", code="INVALID_CLIENT")
        if site is None or not site.installed:
            raise FakeWixError(400, "the app is not installed on this instance", code="INVALID_INSTANCE")
        token = "OAUTH2." + secrets.token_urlsafe(24)
        with self.lock:
            expires_at = datetime.now(UTC) + timedelta(seconds=TOKEN_LIFETIME_SECONDS)
            self.tokens[token] = TokenGrant(site.instance_id, expires_at)
            site.tokens_issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS}

    def awaiting_consent(self, oauth_state: str, default: FakeSite) -> FakeSite:
        """The site whose Connect By OAuth handed out this state (the consent page carries no site)."""
        with self.lock:
            return next((s for s in self.sites.values() if oauth_state in s.state.pending_oauth), default)
