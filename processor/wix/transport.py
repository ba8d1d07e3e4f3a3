"""One pooled httpx.Client per thread (over http.client), and the call that turns a Wix answer into
JSON or a WixError."""

from __future__ import annotations

import os
import threading
from typing import Any

import httpx
import structlog

from processor import deadline
from processor.wix.errors import WixBadResponseError, WixUnavailableError, error_from_response
from processor.wix.limiter import SiteLimiter
from processor.wix.stdlib_http import transport_for_environment

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

log = structlog.get_logger()

_threads = threading.local()  # .clients: {(pid, base URL): httpx.Client} of this thread

Params = dict[str, Any] | list[tuple[str, Any]] | None


def shared_http_client(base_url: str) -> httpx.Client:
    """This thread's pooled client for one base URL (a forked child gets its own).

    One per thread, not one per process: httpcore's pool scans every connection it holds for each
    request it assigns, so a process-wide pool under a threads worker's 32 concurrent flows spent
    ~250 `is_idle` checks per request (bench/README.md, "CPU per refund flow"); a thread's own pool
    holds the one or two connections its sequential calls use. Its transport is http.client's
    (processor/wix/stdlib_http.py): httpcore and h11 cost more CPU per call than the rest of it."""
    clients: dict[tuple[int, str], httpx.Client] | None = getattr(_threads, "clients", None)
    if clients is None:
        clients = _threads.clients = {}
    key = (os.getpid(), base_url.rstrip("/"))
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = httpx.Client(
            base_url=key[1], timeout=DEFAULT_TIMEOUT, transport=transport_for_environment()
        )
    return client


class WixTransport:
    """Sends one site's calls: rate limit, auth, timeout, error mapping."""

    def __init__(
        self,
        http: httpx.Client,
        auth: httpx.Auth,
        limiter: SiteLimiter,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.http = http
        self.auth = auth
        self.limiter = limiter
        self.timeout = timeout

    def call(self, method: str, path: str, *, json: Any = None, params: Params = None) -> dict[str, Any]:
        """Send one request; the decoded JSON object on 2xx, else raise the typed WixError."""
        deadline.check(f"{method} {path}")
        self.limiter.acquire()
        timeout = self._timeout_within(deadline.check(f"{method} {path}"))
        try:
            response = self.http.request(
                method, path, json=json, params=params, auth=self.auth, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            log.warning("wix.call_timed_out", method=method, path=path, error=type(exc).__name__)
            raise WixUnavailableError(f"{method} {path}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            log.warning("wix.call_unreachable", method=method, path=path, error=type(exc).__name__)
            raise WixUnavailableError(f"{method} {path}: {type(exc).__name__}") from None
        if response.is_success:
            return _json_object(response, method, path)
        error = error_from_response(response)
        log.warning(
            "wix.call_failed",
            method=method,
            path=path,
            status=error.status,
            code=error.code,
            error_class=type(error).__name__,
            wix_request_id=error.request_id,
        )
        raise error

    def _timeout_within(self, left: float | None) -> httpx.Timeout:
        """The call's timeout, cut to what is left of the attempt (processor/deadline.py)."""
        read = self.timeout.read or 0.0
        if left is None or left >= read:
            return self.timeout
        connect = min(self.timeout.connect or left, left)
        return httpx.Timeout(left, connect=connect)


def _json_object(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise WixBadResponseError(
            f"{method} {path}: answer is not JSON",
            status=response.status_code,
            request_id=response.headers.get("x-wix-request-id"),
        ) from None
    return body if isinstance(body, dict) else {"value": body}
