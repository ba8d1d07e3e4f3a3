"""Sites of the fake Wix API: each one's state, tokens, scripted faults, requests and traffic counts."""

from __future__ import annotations

import copy
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from processor.devtools.fake_wix_core import FakeState, JsonDict
from processor.devtools.fake_wix_faults import Fault, new_fault_counts
from processor.devtools.fake_wix_scale import DaySeeding, WebhookEvent

T = TypeVar("T")
WINDOW_SECONDS = 60.0  # Wix's limit: 200 requests per minute per app instance


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; credentials redacted; `instance_id` of the site it reached."""

    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    json: Any
    headers: dict[str, str]
    instance_id: str | None = None  # None: no site could be told (unknown credentials)


@dataclass
class TokenGrant:
    instance_id: str
    expires_at: datetime
    revoked: bool = False


class RequestLog:
    """Recorded requests of every site, the newest `limit` (None: all)."""

    def __init__(self, limit: int | None) -> None:
        self._entries: deque[RecordedRequest] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(request)

    def select(self, keep: Callable[[RecordedRequest], bool] | None = None) -> list[RecordedRequest]:
        with self._lock:
            entries = list(self._entries)
        return entries if keep is None else [r for r in entries if keep(r)]


class SiteTraffic:
    """What reached Wix for one site: API calls, token requests, faults, and the busiest 60-s window."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self.requests = 0
        self.token_requests = 0
        self.max_in_window = 0
        self.faults = new_fault_counts()
        self._recent: deque[float] = deque()

    def hit(self, now: float) -> None:
        """One API call at `now` (seconds, monotonic): counts it in every window that holds it.

        The busiest window always ends at a request, so counting the requests of the last
        `window` seconds at each arrival finds it; only those timestamps are kept.
        """
        self.requests += 1
        recent = self._recent
        recent.append(now)
        while recent[0] <= now - self.window:
            recent.popleft()
        self.max_in_window = max(self.max_in_window, len(recent))

    def as_json(self) -> JsonDict:
        return {
            "requests": self.requests,
            "token_requests": self.token_requests,
            "max_requests_in_window": self.max_in_window,
            "window_seconds": self.window,
            "faults": dict(self.faults),
        }


class SiteAccessors:
    """Copies of one site's state, safe to read while the server runs."""

    state: FakeState
    lock: threading.RLock

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

    def refunds_by_booking(self) -> dict[str, int]:
        """How many Refund Payments calls succeeded per booking (for "exactly one refund" checks)."""
        counts: Counter[str] = Counter()
        with self.lock:
            for refund in self.state.refunds:
                order = self.state.orders.get(refund["orderId"]) or {}
                for line in order.get("lineItems", []):
                    counts[line["catalogReference"]["catalogItemId"]] += 1
        return dict(counts)

    def _snapshot(self, value: T) -> T:
        with self.lock:
            return copy.deepcopy(value)


class FakeSite(DaySeeding, SiteAccessors):
    """One site with the app installed: its state, reachable by its instance's tokens or by API key."""

    def __init__(
        self,
        state: FakeState,
        *,
        lock: threading.RLock,
        log: RequestLog,
        tokens: dict[str, TokenGrant],
        app_id: str,
        api_key: str | None = None,
        owns_unattributed: bool = False,
    ) -> None:
        self.state = state
        self.lock = lock
        self.app_id = app_id
        self.api_key = api_key  # besides the fake's own key, which serves every site
        self.installed = True
        self.traffic = SiteTraffic()
        self.tokens_issued = 0
        self._log = log
        self._tokens = tokens
        self._faults: list[Fault] = []
        self._owns_unattributed = owns_unattributed  # the default site: what no site can claim

    def __repr__(self) -> str:
        return f"FakeSite(instance_id={self.instance_id!r}, site_id={self.site_id!r})"

    @property
    def instance_id(self) -> str:
        return self.state.instance_id

    @property
    def site_id(self) -> str:
        return self.state.site_id

    # -- install state ----------------------------------------------------------------------------

    def install(self) -> WebhookEvent:
        """The app is (again) installed; returns the `AppInstalled` webhook Wix sends."""
        with self.lock:
            self.installed = True
        return WebhookEvent("AppInstalled", self.instance_id, {"appId": self.app_id})

    def uninstall(self) -> WebhookEvent:
        """The app is removed: token requests are refused, issued tokens answer 401 (API keys,
        which belong to the account, still work). Returns the `AppRemoved` webhook."""
        with self.lock:
            self.installed = False
        self.revoke_tokens()
        return WebhookEvent("AppRemoved", self.instance_id, {"appId": self.app_id})

    def revoke_tokens(self) -> None:
        """Every token issued for this site so far answers 401 from now on."""
        with self.lock:
            for grant in self._tokens.values():
                if grant.instance_id == self.instance_id:
                    grant.revoked = True

    # -- requests and scripted faults ---------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests that reached this site (the default site also gets those no site could claim)."""
        return self._log.select(self._mine)

    def requests_to(self, path_pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """This site's recorded requests whose path matches the regex (and method, if given)."""
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if pattern.search(r.path) and (method is None or r.method == method)]

    def _mine(self, request: RecordedRequest) -> bool:
        return request.instance_id == self.instance_id or (
            self._owns_unattributed and request.instance_id is None
        )

    def fail_next(
        self,
        path_pattern: str,
        status: int | None = 500,
        times: int = 1,
        retry_after: str | float | None = None,
        delay: float | None = None,
        drop: bool = False,
        applied: bool = False,
    ) -> None:
        """The next `times` requests to this site whose path matches the regex fail: status, slow, or dropped.

        `status=None` with `delay` answers normally, late; `drop=True` closes the connection unanswered,
        before the request does anything, or, with `applied=True`, after it did (the answer is lost).
        """
        fault = Fault(
            re.compile(path_pattern),
            status,
            times,
            None if retry_after is None else str(retry_after),
            delay,
            drop,
            applied,
        )
        with self.lock:
            self._faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """The scripted fault for this request, if one is left."""
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    def stats(self) -> JsonDict:
        """This site's figures, as `GET /_fake/stats` lists them."""
        refunds = self.refunds_by_booking()
        with self.lock:
            traffic = self.traffic.as_json()
            installed = self.installed
        return {
            "instance_id": self.instance_id,
            "site_id": self.site_id,
            "installed": installed,
            **traffic,
            "refunds": sum(refunds.values()),
            "refunds_by_booking": refunds,
        }


def site_totals(traffics: Iterable[SiteTraffic]) -> JsonDict:
    """Sums over sites: API calls, token requests and faults by kind."""
    faults = new_fault_counts()
    requests = token_requests = 0
    for traffic in traffics:
        requests += traffic.requests
        token_requests += traffic.token_requests
        faults.update(traffic.faults)
    return {"requests": requests, "token_requests": token_requests, "faults": dict(faults)}
