"""One pooled HTTP client per thread (over http.client), and the call that turns a Wix answer into
JSON or a WixError."""

from __future__ import annotations

import json as jsonlib
import os
import threading
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import structlog

from processor import deadline
from processor.wix.errors import WixBadResponseError, WixUnavailableError, error_from_response
from processor.wix.limiter import SiteLimiter
from processor.wix.stdlib_http import Answer, Http, http_for_environment

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

log = structlog.get_logger()

_threads = threading.local()  # .clients: {(pid, base URL): Http} of this thread

Params = dict[str, Any] | list[tuple[str, Any]] | None


class WixAuth(Protocol):
    """What a request to Wix carries to say who sends it (processor/wix/auth.py)."""

    def headers(self) -> dict[str, str]:
        """The headers of the next request."""
        ...

    def after_refusal(self, sent: Mapping[str, str]) -> dict[str, str] | None:
        """Wix answered 401 to `sent`: the headers to try once more with, or None (do not)."""
        ...


def shared_http_client(base_url: str) -> Http:
    """This thread's pooled client for one base URL (a forked child gets its own).

    One per thread, not one per process: a process-wide pool under a threads worker's 32 concurrent
    flows spent ~250 `is_idle` checks per request (bench/README.md, "CPU per refund flow"); a
    thread's own pool holds the one or two connections its sequential calls use."""
    clients: dict[tuple[int, str], Http] | None = getattr(_threads, "clients", None)
    if clients is None:
        clients = _threads.clients = {}
    key = (os.getpid(), base_url.rstrip("/"))
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = http_for_environment(key[1])
    return client


class WixTransport:
    """Sends one site's calls: rate limit, auth, timeout, error mapping."""

    def __init__(
        self,
        http: Http,
        auth: WixAuth,
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
        target = path + query_string(params)
        body = None if json is None else json_body(json)
        headers = self.auth.headers()
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            answer = self.http.send(method, target, headers=headers, body=body, timeout=timeout)
            if answer.status_code == 401:
                again = self.auth.after_refusal(headers)
                if again is not None:
                    headers.update(again)
                    answer = self.http.send(method, target, headers=headers, body=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            log.warning("wix.call_timed_out", method=method, path=path, error=type(exc).__name__)
            raise WixUnavailableError(f"{method} {path}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            log.warning("wix.call_unreachable", method=method, path=path, error=type(exc).__name__)
            raise WixUnavailableError(f"{method} {path}: {type(exc).__name__}") from None
        if answer.is_success:
            return _json_object(answer, method, path)
        error = error_from_response(answer)
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


def json_body(document: Any) -> bytes:
    """A request's JSON body, encoded as httpx encodes `json=` (compact, UTF-8, no NaN)."""
    return jsonlib.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def query_string(params: Params) -> str:
    """`?a=1&b=x+y` for the params (booleans as `true`/`false`, None as empty, as httpx writes
    them), or "" for none."""
    if not params:
        return ""
    pairs = params.items() if isinstance(params, dict) else params
    return "?" + urlencode([(name, _primitive(value)) for name, value in pairs])


def _primitive(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _json_object(answer: Answer, method: str, path: str) -> dict[str, Any]:
    if not answer.content:
        return {}
    try:
        body = answer.json()
    except ValueError:
        raise WixBadResponseError(
            f"{method} {path}: answer is not JSON",
            status=answer.status_code,
            request_id=answer.headers.get("x-wix-request-id"),
        ) from None
    return body if isinstance(body, dict) else {"value": body}
