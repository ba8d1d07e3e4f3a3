"""The fake Wix API's request pipeline: record, count, latency, faults, authentication, routes."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from processor.devtools import (
    fake_wix_bookings,
    fake_wix_calendar,
    fake_wix_calendars,
    fake_wix_catalog,
    fake_wix_hours,
    fake_wix_orders,
)
from processor.devtools.fake_wix_auth import Caller, SiteRegistry, unauthenticated
from processor.devtools.fake_wix_calendars import OAUTH_CONSENT_PATH, complete_oauth
from processor.devtools.fake_wix_core import (
    FakeRequest,
    FakeWixError,
    JsonDict,
    code,
    error_answer,
    json_answer,
    reason,
)
from processor.devtools.fake_wix_faults import (
    DROP,
    ERROR_500,
    LOST_ANSWER,
    RATE_LIMITED,
    SCRIPTED,
    RandomFaults,
)
from processor.devtools.fake_wix_http import HttpAnswer, HttpRequest
from processor.devtools.fake_wix_sites import FakeSite, RecordedRequest, RequestLog, SiteTraffic

TOKEN_PATH = "/oauth2/token"
ROUTES = [
    route
    for module in (
        fake_wix_catalog,
        fake_wix_bookings,
        fake_wix_orders,
        fake_wix_calendars,
        fake_wix_calendar,
        fake_wix_hours,
    )
    for route in module.routes.routes
]
ROUTES_BY_METHOD = {
    method: [r for r in ROUTES if r.method == method] for method in {r.method for r in ROUTES}
}
REDACTED = "<redacted>"
CONTROL_PREFIX = "/_fake/"  # control paths: no auth, no latency, no faults, not recorded or counted
REQUEST_LOG_PATH = "/_fake/requests"  # demos: what the processor sent
# What _scripted_fault answers for fail_next(drop=True, applied=True): apply the request, then drop.
LOSE_ANSWER = HttpAnswer(drop=True)
STATS_PATH = "/_fake/stats"  # harnesses: what reached Wix, per site


class RequestPipeline:
    """How FakeWix answers one request; the state it works on is FakeWix's."""

    app_id: str
    app_secret: str
    api_key: str
    lock: threading.RLock
    random_faults: RandomFaults
    default_site: FakeSite
    _registry: SiteRegistry
    _log: RequestLog
    _nobody: SiteTraffic
    _clock: Callable[[], float]

    def stats(self) -> JsonDict:
        raise NotImplementedError

    def handle(self, request: HttpRequest) -> HttpAnswer:
        """One request, through latency, faults, authentication and the route table."""
        path = request.path
        if path.startswith(CONTROL_PREFIX):
            return self._control(request, path)
        body = _json_body(request.body)
        is_token = request.method == "POST" and path == TOKEN_PATH
        caller = self._registry.caller(request, body, is_token=is_token, api_key=self.api_key)
        traffic = caller.site.traffic if caller.site else self._nobody
        query = request.query
        self._record(request, path, query, body, caller.site)
        now = self._clock()
        with self.lock:
            if is_token:
                traffic.token_requests += 1
            else:
                traffic.hit(now)
        rates = self.random_faults.rates
        if rates.latency:
            time.sleep(rates.latency)
        kind = None
        try:
            scripted = self._scripted_fault(caller.site or self.default_site, path, traffic)
            if scripted is LOSE_ANSWER:
                kind = LOST_ANSWER
            elif scripted is not None:
                return scripted
            else:
                kind = self.random_faults.draw(request.method, path)
            if kind is not None and scripted is None:
                with self.lock:
                    traffic.faults[kind] += 1
            if kind == DROP:
                return HttpAnswer(drop=True)
            if kind in (ERROR_500, RATE_LIMITED):
                status = int(kind)
                headers = {"Retry-After": rates.retry_after_header} if status == 429 else {}
                raise FakeWixError(status, reason(status), code=code(status), headers=headers)
            answer = self._dispatch(request, path, query, body, caller, is_token)
        except FakeWixError as exc:
            answer = error_answer(exc)
        if kind == LOST_ANSWER:
            return HttpAnswer(drop=True)  # applied, and the answer never arrives
        answer.headers["x-wix-request-id"] = secrets.token_hex(16)  # opaque, like Wix's
        return answer

    def _scripted_fault(self, site: FakeSite, path: str, traffic: SiteTraffic) -> HttpAnswer | None:
        """The scripted answer, None to go on, or LOSE_ANSWER: apply the request, then drop it."""
        fault = site.take_fault(path)
        if fault is None:
            return None
        with self.lock:
            traffic.faults[SCRIPTED] += 1
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop and fault.applied:
            return LOSE_ANSWER
        if fault.drop:
            return HttpAnswer(drop=True)
        if fault.status is None:
            return None
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        raise FakeWixError(fault.status, reason(fault.status), code=code(fault.status), headers=headers)

    def _control(self, request: HttpRequest, path: str) -> HttpAnswer:
        if request.method == "GET" and path == REQUEST_LOG_PATH:
            return json_answer({"requests": self._request_log()})
        if request.method == "GET" and path == STATS_PATH:
            return json_answer(self.stats())
        return error_answer(FakeWixError(404, f"no control path {request.method} {path}", code="NOT_FOUND"))

    def _dispatch(
        self,
        request: HttpRequest,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        caller: Caller,
        is_token: bool,
    ) -> HttpAnswer:
        if is_token:
            return json_answer(
                self._registry.issue_token(body, caller.site, app_id=self.app_id, app_secret=self.app_secret)
            )
        if request.method == "GET" and path == OAUTH_CONSENT_PATH:
            return self._consent(query.get("state", [""])[0])
        if caller.refusal is not None or caller.site is None:
            raise caller.refusal or unauthenticated()
        fake_request = FakeRequest(request.method, path, query, body, request.base_url)
        # Route on the path as sent, then decode each id: an id holding `/`, `?` or `#` arrives
        # percent-encoded as one segment (processor/wix/paths.py) and must stay one.
        for route in ROUTES_BY_METHOD.get(request.method, ()):
            match = route.pattern.match(request.raw_path)
            if match:
                ids = {name: unquote(value) for name, value in match.groupdict().items()}
                with self.lock:
                    return json_answer(route.handler(caller.site.state, fake_request, **ids))
        raise FakeWixError(404, f"no route {request.method} {path}", code="NOT_FOUND")

    def _consent(self, oauth_state: str) -> HttpAnswer:
        """The host consented on the provider's page: the connection appears on the site that asked."""
        site = self._registry.awaiting_consent(oauth_state, self.default_site)
        with self.lock:
            _, redirect = complete_oauth(site.state, oauth_state)
        return HttpAnswer(302, b"", {"Location": redirect})

    def _request_log(self) -> list[JsonDict]:
        """What `GET /_fake/requests` answers: every recorded call, all sites, credentials redacted."""
        return [
            {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "json": r.json,
                "instance_id": r.instance_id,
            }
            for r in self._log.select()
        ]

    def _record(
        self,
        request: HttpRequest,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        site: FakeSite | None,
    ) -> None:
        headers = {k: (REDACTED if k == "authorization" else v) for k, v in request.headers.items()}
        if isinstance(body, dict) and "client_secret" in body:
            body = {**body, "client_secret": REDACTED}
        if isinstance(body, dict) and "password" in body:
            body = {**body, "password": REDACTED}
        instance_id = site.instance_id if site else None
        self._log.append(
            RecordedRequest(request.method, path, request.raw_path, query, body, headers, instance_id)
        )


def _json_body(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
