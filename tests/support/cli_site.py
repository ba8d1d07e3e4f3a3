"""The site commands against the fake Wix API over HTTP: env, a migrated SQLite store, a runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner, Result

from processor.cli import cli
from processor.devtools.fake_wix import FakeWix, RecordedRequest
from processor.store.db import make_engine, make_sessions
from processor.wix import limiter
from processor.wix.limiter import RateLimiter
from tests.fixtures.store import fresh_store_url

PUBLIC_BASE_URL = "https://meetings-processor.example"
SECRET_KEY = "site-cli-tests-secret-key-0123456789abcdef"


@dataclass
class SiteCli:
    """Runs `wix-meetings …` in process with env pointed at the fake; reads the Wix calls it made."""

    fake: FakeWix
    env: dict[str, str | None]
    database_url: str
    _mark: int = 0

    def run(self, *args: str, input: str | None = None) -> Result:
        """Invoke the command; the Wix calls it makes are `calls()` afterwards."""
        self._mark = len(self.fake.requests)
        return CliRunner().invoke(cli, list(args), env=self.env, input=input, catch_exceptions=False)

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """The Wix requests of the last `run`, in order (optionally one method only)."""
        made = self.fake.requests[self._mark :]
        return [r for r in made if method is None or r.method == method]

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every non-read call of the last run (queries are POSTs but read)."""
        reads = ("/query", "/time-slots", "/get-order-refundability", "/orders/search")
        return [
            (r.method, r.path)
            for r in self.calls()
            if r.method != "GET" and not any(r.path.endswith(s) or s in r.path for s in reads)
        ]

    def sessions(self) -> Any:
        return make_sessions(make_engine(self.database_url))


@pytest.fixture
def site_cli(
    fake_wix: FakeWix, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> SiteCli:
    """API-key mode on the fake, a migrated SQLite store, no stray .env or app credentials."""
    # SQLite on purpose: these tests check the commands' Wix calls and output; what the store
    # keeps is tested on both stores (tests/integration/test_links.py, test_sites.py, …).
    database_url = fresh_store_url("sqlite", tmp_path / "store.sqlite3", request)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    # As in a new `wix-meetings` process, structlog starts unconfigured: a test that used
    # structlog.testing.capture_logs earlier in this process leaves it "configured" with the
    # defaults (info lines on stdout), and the command would then not configure its own logging
    # and print them into its --json output.
    structlog.reset_defaults()
    # The real limiter, generous: the per-minute limit has its own tests.
    monkeypatch.setitem(limiter._limiters, fake_wix.site_id, RateLimiter(60_000, 1_000))
    env: dict[str, str | None] = {
        "WIX_API_BASE_URL": fake_wix.url,
        "WIX_API_KEY": fake_wix.api_key,
        "WIX_SITE_ID": fake_wix.site_id,
        "WIX_APP_ID": None,
        "WIX_APP_SECRET": None,
        "WIX_PUBLIC_KEY": None,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_FORMAT": "json",
        "SECRET_KEY": SECRET_KEY,
    }
    return SiteCli(fake_wix, env, database_url)
