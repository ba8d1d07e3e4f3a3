"""A stateful fake of the Wix REST APIs we use, served over real HTTP on loopback (tests and demos)."""

from __future__ import annotations

import copy
import json
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from processor.devtools import fake_wix_bookings, fake_wix_calendars, fake_wix_catalog, fake_wix_orders
from processor.devtools.fake_wix_calendars import OAUTH_CONSENT_PATH, complete_oauth
from processor.devtools.fake_wix_core import (
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    code,
    error_response,
    json_response,
    reason,
)
from processor.devtools.fake_wix_seed import FakeWixSeeding

T = TypeVar("T")
TOKEN_LIFETIME_SECONDS = 14400
ROUTES = [
    route
    for module in (fake_wix_catalog, fake_wix_bookings, fake_wix_orders, fake_wix_calendars)
    for route in module.routes.routes
]
REDACTED = "<redacted>"
REQUEST_LOG_PATH = "/_fake/requests"  # demos: what the processor sent, no auth needed


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; credentials redacted."""

    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    json: Any
    headers: dict[str, str]


@dataclass
class Fault:
    """What `fail_next` arranged for the next matching requests."""

    pattern: re.Pattern[str]
    status: int | None
    times: int
    retry_after: str | None
    delay: float | None
    drop: bool


@dataclass
class TokenGrant:
    instance_id: str
    expires_at: datetime
    revoked: bool = False


@dataclass
class _Credentials:
    app_id: str = "f3a9c2e1-0b7d-4c55-8e21-6d4b9a0c7e13"
    app_secret: str = field(default="fake-wix-app-secret", repr=False)
    api_key: str = field(default="fake-wix-api-key", repr=False)


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        """No access log: tests and demos print what matters themselves."""


class FakeWix(FakeWixSeeding):
    """The fake Wix API: one site, reachable by its API key or by app tokens for its instance."""

    def __init__(
        self,
        *,
        site_id: str = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        instance_id: str = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34",
        app_id: str | None = None,
        app_secret: str | None = None,
        api_key: str | None = None,
    ) -> None:
        defaults = _Credentials()
        self.app_id = app_id or defaults.app_id
        self.app_secret = app_secret or defaults.app_secret
        self.api_key = api_key or defaults.api_key
        self.state = FakeState(site_id=site_id, instance_id=instance_id)
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.tokens: dict[str, TokenGrant] = {}
        self.installed = True
        self._faults: list[Fault] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1") -> FakeWix:
        """Serve on loopback in a background thread; port 0 picks a free one."""
        self._server = make_server(host, port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-wix", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeWix is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def site_id(self) -> str:
        return self.state.site_id

    @property
    def instance_id(self) -> str:
        return self.state.instance_id

    # -- fault injection and auth control ------------------------------------------------------

    def fail_next(
        self,
        path_pattern: str,
        status: int | None = 500,
        times: int = 1,
        retry_after: str | float | None = None,
        delay: float | None = None,
        drop: bool = False,
    ) -> None:
        """The next `times` requests whose path matches the regex fail: status, slow, or dropped.

        `status=None` with `delay` answers normally, late; `drop=True` closes the connection unanswered.
        """
        fault = Fault(
            re.compile(path_pattern),
            status,
            times,
            None if retry_after is None else str(retry_after),
            delay,
            drop,
        )
        with self.lock:
            self._faults.append(fault)

    def revoke_tokens(self) -> None:
        """Every token issued so far answers 401 from now on."""
        with self.lock:
            for grant in self.tokens.values():
                grant.revoked = True

    @property
    def tokens_issued(self) -> int:
        with self.lock:
            return len(self.tokens)

    def requests_to(self, path_pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches the regex (and method, if given)."""
        with self.lock:
            return [
                r
                for r in self.requests
                if re.search(path_pattern, r.path) and (method is None or r.method == method)
            ]

    # -- accessors --------------------------------------------------------------------------------

    @property
    def services(self) -> dict[str, JsonDict]:
        return self._snapshot(self.state.services)

    @property
    def bookings(self) -> dict[str, JsonDict]:
        return self._snapshot(self.state.bookings)

    @property
    def orders(self) -> dict[str, JsonDict]:
        return self._snapshot(self.state.orders)

    @property
    def refunds(self) -> list[JsonDict]:
        return self._snapshot(self.state.refunds)

    @property
    def connections(self) -> dict[str, JsonDict]:
        return self._snapshot(self.state.connections)

    @property
    def staff_members(self) -> dict[str, JsonDict]:
        return self._snapshot(self.state.staff)

    def _snapshot(self, value: T) -> T:
        with self.lock:
            return copy.deepcopy(value)

    # -- HTTP -----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path
        body = self._json_body(request)
        self._record(request, raw_path.split("?", 1)[0], body)
        fault = self._take_fault(request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            return Response(b"")(environ, start_response)
        try:
            if fault is not None and fault.status is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                raise FakeWixError(
                    fault.status, reason(fault.status), code=code(fault.status), headers=headers
                )
            response = self._dispatch(request, body)
        except FakeWixError as exc:
            response = error_response(exc)
        response.headers["x-wix-request-id"] = str(uuid.uuid4())
        return response(environ, start_response)

    def _dispatch(self, request: Request, body: Any) -> Response:
        if request.method == "POST" and request.path == "/oauth2/token":
            return json_response(self._issue_token(body))
        if request.method == "GET" and request.path == REQUEST_LOG_PATH:
            return json_response({"requests": self._request_log()})
        if request.method == "GET" and request.path == OAUTH_CONSENT_PATH:
            with self.lock:
                _, redirect = complete_oauth(self.state, request.args.get("state", ""))
            return Response(status=302, headers={"Location": redirect})
        self._authenticate(request)
        fake_request = FakeRequest(
            request.method, request.path, request.args.to_dict(flat=False), body, request.host_url.rstrip("/")
        )
        # Route on the path as sent, then decode each id: `connections/a%2Fb` is the id `a/b`, as
        # Wix reads it (werkzeug's request.path is already decoded, so `%2F` would split the id).
        raw_path = (request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "").split("?", 1)[
            0
        ]
        path = raw_path or request.path
        for route in ROUTES:
            match = route.pattern.match(path)
            if match and route.method == request.method:
                ids = {name: unquote(value) for name, value in match.groupdict().items()}
                with self.lock:
                    return json_response(route.handler(self.state, fake_request, **ids))
        raise FakeWixError(404, f"no route {request.method} {request.path}", code="NOT_FOUND")

    def _request_log(self) -> list[JsonDict]:
        """What `GET /_fake/requests` answers: every recorded call but these, credentials redacted."""
        with self.lock:
            return [
                {"method": r.method, "path": r.path, "query": r.query, "json": r.json}
                for r in self.requests
                if r.path != REQUEST_LOG_PATH
            ]

    def _issue_token(self, body: Any) -> JsonDict:
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "client_credentials":
            raise FakeWixError(400, "unsupported grant_type", code="INVALID_GRANT_TYPE")
        if body.get("client_id") != self.app_id or body.get("client_secret") != self.app_secret:
            raise FakeWixError(401, "invalid client credentials", code="INVALID_CLIENT")
        if body.get("instance_id") != self.instance_id or not self.installed:
            raise FakeWixError(400, "the app is not installed on this instance", code="INVALID_INSTANCE")
        token = "OAUTH2." + secrets.token_urlsafe(24)
        with self.lock:
            expires_at = datetime.now(UTC) + timedelta(seconds=TOKEN_LIFETIME_SECONDS)
            self.tokens[token] = TokenGrant(body["instance_id"], expires_at)
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS}

    def _authenticate(self, request: Request) -> None:
        value = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if value and secrets.compare_digest(value, self.api_key):
            if request.headers.get("wix-site-id") != self.site_id:
                raise FakeWixError(403, "wix-site-id missing or not this key's site", code="FORBIDDEN")
            return
        with self.lock:
            grant = self.tokens.get(value)
            valid = grant is not None and not grant.revoked and grant.expires_at > datetime.now(UTC)
        if not valid:
            raise FakeWixError(401, "invalid or expired credentials", code="UNAUTHENTICATED")

    def _json_body(self, request: Request) -> Any:
        data = request.get_data()
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def _record(self, request: Request, raw_path: str, body: Any) -> None:
        headers = {
            k.lower(): (REDACTED if k.lower() == "authorization" else v) for k, v in request.headers.items()
        }
        if isinstance(body, dict) and "client_secret" in body:
            body = {**body, "client_secret": REDACTED}
        if isinstance(body, dict) and "password" in body:
            body = {**body, "password": REDACTED}
        recorded = RecordedRequest(
            request.method, request.path, raw_path, request.args.to_dict(flat=False), body, headers
        )
        with self.lock:
            self.requests.append(recorded)

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None
