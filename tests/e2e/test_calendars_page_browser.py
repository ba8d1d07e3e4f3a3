"""The OAuth return page as a host's browser shows it: headless Chromium against the served app."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from processor.devtools.fake_wix import FakeWix
from tests.support.calendar_page import SECRET_KEY, make_page_app, signed_state

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser; skipped only when it is absent and this is not CI (CI installs it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: run scripts/ensure-chromium.sh first")
        pytest.skip("chromium is not installed (run scripts/ensure-chromium.sh)")
    return CHROMIUM


@pytest.fixture
def page_url(fake_wix: FakeWix, fake_wix_public_key_pem: str, tmp_path: Path) -> Iterator[str]:
    """The web app served on a free loopback port in a thread; its /calendars/connected URL."""
    app = make_page_app(fake_wix, fake_wix_public_key_pem, tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/calendars/connected"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class _Text(HTMLParser):
    """Visible text of a dumped DOM (no <style>/<script> content)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def _browse(chromium: str, url: str, profile: Path) -> tuple[str, str]:
    """What Chromium renders at `url`: (visible text, DOM)."""
    done = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    parser = _Text()
    parser.feed(done.stdout)
    return " ".join(parser.parts), done.stdout


def test_host_sees_which_calendar_is_connected(
    chromium: str, page_url: str, fake_wix: FakeWix, tmp_path: Path
) -> None:
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    connection = fake_wix.add_connection(
        member["resource"]["eventsSchedule"]["id"], status="CONNECTED", email="dana@gmail.example"
    )

    schedule_id = member["resource"]["eventsSchedule"]["id"]
    query = urlencode(
        {"state": signed_state(SECRET_KEY, schedule_id, fake_wix.site_id), "connectionId": connection["id"]}
    )

    text, dom = _browse(chromium, f"{page_url}?{query}", tmp_path / "profile")

    assert "Your Google Calendar is connected" in text
    assert "Account dana@gmail.example" in text
    assert "Busy times block bookings Yes" in text
    assert "You can close this page." in text
    assert fake_wix.api_key not in dom
    assert connection["id"] not in dom
    assert SECRET_KEY not in dom


def test_host_sees_a_clear_page_for_a_bad_connection_id(
    chromium: str, page_url: str, fake_wix: FakeWix, tmp_path: Path
) -> None:
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    state = signed_state(SECRET_KEY, member["resource"]["eventsSchedule"]["id"], fake_wix.site_id)
    query = urlencode({"state": state, "connectionId": "not-a-real-one"})

    text, _ = _browse(chromium, f"{page_url}?{query}", tmp_path / "profile")

    assert "We couldn't find this calendar connection" in text
    assert "nothing was changed" in text
    assert "Please start again from the connection link you were sent." in text
    assert not [r for r in fake_wix.requests if r.method != "GET"]


def test_host_sees_a_clear_page_for_a_link_without_our_state(
    chromium: str, page_url: str, fake_wix: FakeWix, tmp_path: Path
) -> None:
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    connection = fake_wix.add_connection(member["resource"]["eventsSchedule"]["id"])

    text, _ = _browse(chromium, f"{page_url}?connectionId={connection['id']}", tmp_path / "profile")

    assert "This link isn't valid" in text
    assert "nothing was changed" in text
    assert fake_wix.requests == []


def test_host_sees_a_clear_page_when_access_was_refused(chromium: str, page_url: str, tmp_path: Path) -> None:
    text, _ = _browse(chromium, f"{page_url}?error=reject", tmp_path / "profile")

    assert "The calendar was not connected" in text
    assert "Access to your calendar was not granted" in text
