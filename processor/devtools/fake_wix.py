"""A stateful fake of the Wix REST APIs we use, served over real HTTP on loopback (tests, demos, benchmarks).

One fake serves any number of sites (`add_site`, `seed_sites`); the one made with it, the default site,
is what `fake.state`, `fake.services`, `fake.requests_to`, `fake.fail_next`, … mean, so single-site
callers never name a site. Latency and random faults (`FaultRates`) apply to every site.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from processor.devtools.fake_wix_auth import TOKEN_LIFETIME_SECONDS, SiteRegistry
from processor.devtools.fake_wix_core import JsonDict
from processor.devtools.fake_wix_faults import FaultRates, RandomFaults
from processor.devtools.fake_wix_http import FakeHttpServer
from processor.devtools.fake_wix_pipeline import RequestPipeline
from processor.devtools.fake_wix_scale import DEFAULT_PRICE, DaySeeding, SeededSite
from processor.devtools.fake_wix_sites import (
    FakeSite,
    RecordedRequest,
    RequestLog,
    SiteAccessors,
    SiteTraffic,
    TokenGrant,
    site_totals,
)

__all__ = ["TOKEN_LIFETIME_SECONDS", "FakeSite", "FakeWix", "FaultRates", "RecordedRequest", "TokenGrant"]

DEFAULT_REQUEST_LOG_LIMIT = 100_000


@dataclass
class _Credentials:
    app_id: str = "f3a9c2e1-0b7d-4c55-8e21-6d4b9a0c7e13"
    app_secret: str = field(default="fake-wix-app-secret", repr=False)
    api_key: str = field(default="fake-wix-api-key", repr=False)


class FakeWix(RequestPipeline, DaySeeding, SiteAccessors):
    """The fake Wix API: sites reachable by app tokens for their instance, or by API key + `wix-site-id`.

    The fake's `api_key` serves every site (Wix API keys belong to an account, which owns many
    sites); a site added with its own `api_key` also accepts that one, for that site only.
    """

    def __init__(
        self,
        *,
        site_id: str = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        instance_id: str = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34",
        app_id: str | None = None,
        app_secret: str | None = None,
        api_key: str | None = None,
        faults: FaultRates | None = None,
        seed: int = 0,
        request_log_limit: int | None = DEFAULT_REQUEST_LOG_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        defaults = _Credentials()
        self.app_id = app_id or defaults.app_id
        self.app_secret = app_secret or defaults.app_secret
        self.api_key = api_key or defaults.api_key
        self.lock = threading.RLock()
        self.random_faults = RandomFaults(faults, seed)
        self._log = RequestLog(request_log_limit)
        self._clock = clock
        self._registry = SiteRegistry(self.lock, self._log)
        self.tokens = self._registry.tokens
        self._nobody = SiteTraffic()  # requests no site could claim
        self.default_site = self._registry.add(
            instance_id, site_id, app_id=self.app_id, owns_unattributed=True
        )
        self.state = self.default_site.state
        self._server: FakeHttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1") -> FakeWix:
        """Serve on loopback in a background thread; port 0 picks a free one."""
        self._server = FakeHttpServer(host, port, self.handle)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-wix", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeWix is not started")
        return f"http://127.0.0.1:{self._server.port}"

    # -- sites ----------------------------------------------------------------------------------

    def add_site(
        self, instance_id: str | None = None, site_id: str | None = None, *, api_key: str | None = None
    ) -> FakeSite:
        """A new site with the app installed (fresh ids unless given); `api_key`: a key for it alone."""
        return self._registry.add(
            instance_id or str(uuid.uuid4()),
            site_id or str(uuid.uuid4()),
            app_id=self.app_id,
            api_key=api_key,
        )

    def site(self, instance_id: str) -> FakeSite:
        """The site of this instance id (KeyError if none)."""
        with self.lock:
            return self._registry.sites[instance_id]

    @property
    def sites(self) -> list[FakeSite]:
        """Every site, the default one first, in the order they were added."""
        with self.lock:
            return list(self._registry.sites.values())

    def seed_sites(
        self, count: int, *, hosts: int = 1, price: str | Decimal = DEFAULT_PRICE, connection: bool = True
    ) -> list[SeededSite]:
        """`count` new sites, each provisioned by `seed_site` (paid Meetings links, hosts, calendars)."""
        return [
            self.add_site().seed_site(hosts=hosts, price=price, connection=connection) for _ in range(count)
        ]

    # -- the default site ------------------------------------------------------------------------

    @property
    def site_id(self) -> str:
        return self.state.site_id

    @property
    def instance_id(self) -> str:
        return self.state.instance_id

    @property
    def installed(self) -> bool:
        return self.default_site.installed

    @installed.setter
    def installed(self, value: bool) -> None:
        self.default_site.installed = value

    @property
    def tokens_issued(self) -> int:
        with self.lock:
            return self.default_site.tokens_issued

    @property
    def requests(self) -> list[RecordedRequest]:
        """The default site's requests and those no site could claim (unknown credentials)."""
        return self.default_site.requests

    @property
    def all_requests(self) -> list[RecordedRequest]:
        """Every recorded request, all sites."""
        return self._log.select()

    def requests_to(self, path_pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests of the default site whose path matches the regex (and method, if given)."""
        return self.default_site.requests_to(path_pattern, method)

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
        """`FakeSite.fail_next` for the default site (which also answers requests no site claims)."""
        self.default_site.fail_next(path_pattern, status, times, retry_after, delay, drop, applied)

    def revoke_tokens(self) -> None:
        """Every token issued for the default site so far answers 401 from now on."""
        self.default_site.revoke_tokens()

    # -- latency, random faults, figures ------------------------------------------------------------

    def configure_faults(self, rates: FaultRates, seed: int | None = None) -> None:
        """Latency and fault rates from now on; a seed restarts the random sequence."""
        self.random_faults.configure(rates, seed)

    def stats(self) -> JsonDict:
        """What `GET /_fake/stats` answers: per-site traffic, faults and refunds, and totals."""
        sites = self.sites
        with self.lock:
            totals = site_totals([s.traffic for s in sites] + [self._nobody])
            unattributed = self._nobody.as_json()
        config = {**self.random_faults.rates.as_json(), "seed": self.random_faults.seed, "sites": len(sites)}
        return {
            "config": config,
            "totals": totals,
            "unattributed": unattributed,
            "sites": {site.instance_id: site.stats() for site in sites},
        }
