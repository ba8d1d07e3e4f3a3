"""Who a Wix request is from: an API key for one site, or an OAuth client-credentials token per instance
(`processor.wix.transport.WixAuth`: the headers of a request, and what to retry a 401 with)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from processor.wix.errors import WixError, WixUnavailableError, error_from_response
from processor.wix.stdlib_http import Http
from processor.wix.transport import json_body

TOKEN_PATH = "/oauth2/token"
# Refresh this long before Wix says a token expires, so no request carries a dying token.
REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


class TokenCache(Protocol):
    """Where access tokens live between requests (per process, or shared through the store)."""

    def get(self, instance_id: str) -> tuple[str, datetime] | None:
        """The cached token and its expiry, or None."""
        ...

    def put(self, instance_id: str, token: str, expires_at: datetime) -> None:
        """Remember a fresh token."""
        ...

    def drop(self, instance_id: str) -> None:
        """Forget a token Wix refused."""
        ...


class MemoryTokenCache:
    """A TokenCache for one process."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, instance_id: str) -> tuple[str, datetime] | None:
        with self._lock:
            return self._tokens.get(instance_id)

    def put(self, instance_id: str, token: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[instance_id] = (token, expires_at)

    def drop(self, instance_id: str) -> None:
        with self._lock:
            self._tokens.pop(instance_id, None)

    def __repr__(self) -> str:
        return f"MemoryTokenCache(instances={len(self._tokens)})"


class ApiKeyAuth:
    """`Authorization: <key>` and `wix-site-id: <site>` (Wix API assumption #20: no account id)."""

    def __init__(self, api_key: str, site_id: str) -> None:
        self._api_key = api_key
        self.site_id = site_id

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._api_key, "wix-site-id": self.site_id}

    def after_refusal(self, sent: Mapping[str, str]) -> dict[str, str] | None:
        return None  # a key Wix refuses stays refused: the 401 is the answer

    def __repr__(self) -> str:
        return f"ApiKeyAuth(site_id={self.site_id!r})"


class InstanceTokenAuth:
    """A client-credentials token per app instance, cached, refreshed once on a 401."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        instance_id: str,
        token_endpoint_client: Http,
        cache: TokenCache,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.instance_id = instance_id
        self._http = token_endpoint_client
        self._cache = cache
        self._clock = clock
        self._lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token()}

    def after_refusal(self, sent: Mapping[str, str]) -> dict[str, str] | None:
        """A 401: the token may have been revoked before its expiry; fetch a new one, try once more."""
        return {"Authorization": self.token(refused=sent.get("Authorization"))}

    def token(self, *, refused: str | None = None) -> str:
        """A valid access token: the cached one unless it expires soon or Wix just refused it."""
        with self._lock:
            cached = self._cache.get(self.instance_id)
            if cached is not None:
                token, expires_at = cached
                if token != refused and expires_at - REFRESH_MARGIN > self._clock():
                    return token
                self._cache.drop(self.instance_id)
            token, expires_at = self._fetch_token()
            self._cache.put(self.instance_id, token, expires_at)
            return token

    def _fetch_token(self) -> tuple[str, datetime]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self._app_secret,
            "instance_id": self.instance_id,
        }
        try:
            response = self._http.send(
                "POST",
                TOKEN_PATH,
                headers={"Content-Type": "application/json"},
                body=json_body(body),
                timeout=TOKEN_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise WixUnavailableError(f"token request failed: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise error_from_response(response)
        payload = response.json()
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not token:
            raise WixError("token response carried no access_token", status=200)
        expires_in = int(payload.get("expires_in") or 0)
        return token, self._clock() + timedelta(seconds=expires_in)

    def __repr__(self) -> str:
        return f"InstanceTokenAuth(app_id={self.app_id!r}, instance_id={self.instance_id!r})"
