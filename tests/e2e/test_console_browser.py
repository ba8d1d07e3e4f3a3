"""The ops console in headless Chromium, on events a real worker processed against the fake Wix API.

Screenshots of the main pages (1280 and 390 px wide) go to a `console-screenshots` folder under the
test run's temp dir; the path is printed (`pytest -s`) so a person can look at them.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from processor.devtools.fake_wix import FakeWix
from tests.fixtures.pipeline import Pipeline
from tests.fixtures.servers import wait_until

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_TOKEN = "console-admin-token-0123456789"
VIEWER_TOKEN = "console-viewer-token-0123456789"
CANCELED = "wix.bookings.v2.booking_canceled"
CREATED = "wix.bookings.v2.booking_created"
CONNECTION_EVENT = "wix_meetings.calendar_connection.status_changed"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: run scripts/ensure-chromium.sh first")
        pytest.skip("chromium is not installed (run scripts/ensure-chromium.sh)")
    driver = playwright_api.sync_playwright().start()
    launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
    yield launched
    launched.close()
    driver.stop()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (printed once)."""
    folder = tmp_path_factory.mktemp("console-screenshots")
    print(f"\nconsole screenshots: {folder}")
    return folder


@dataclass
class Console:
    pipeline: Pipeline
    url: str

    def path(self, path: str) -> str:
        return self.url + path


def _serve(pipeline: Pipeline) -> Iterator[Console]:
    server = make_server("127.0.0.1", 0, pipeline.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    yield Console(pipeline, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def console(flow_pipeline: Any) -> Iterator[Console]:
    """The pipeline's web app on a loopback port, both console tokens set, the watcher polling each second."""
    pipeline = flow_pipeline(
        ADMIN_TOKEN=ADMIN_TOKEN,
        ADMIN_VIEWER_TOKEN=VIEWER_TOKEN,
        SECRET_KEY="console-test-secret-key-0123456789abcdef",
        REFUND_POLICY="always",
        CALENDAR_POLL_SECONDS="1",
    )
    yield from _serve(pipeline)


def _sign_in(browser: Any, console: Console, token: str, width: str = "desktop") -> Any:
    width_px, height_px = WIDTHS[width]
    context = browser.new_context(viewport={"width": width_px, "height": height_px})
    page = context.new_page()
    page.goto(console.path("/admin"))
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("#role")
    return page


def _snap(page: Any, shots: Path, name: str) -> None:
    width = page.viewport_size["width"]
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)


def _row_ids(page: Any) -> list[int]:
    return [int(t) for t in page.locator("#events-table tbody td:first-child a").all_inner_texts()]


def _paid_booking_with_broken_calendar(fake_wix: FakeWix) -> dict[str, Any]:
    host = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    service = fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]], price="50.00")
    fake_wix.add_connection(
        host["resource"]["eventsSchedule"]["id"],
        status="ERROR",
        error_reason="TOKEN_REVOKED",
        email="dana@example.com",
    )
    return {"service": service, "booking": fake_wix.add_booking(service["id"], paid="50.00")}


def _canceled(booking: dict[str, Any]) -> dict[str, Any]:
    return {"booking": {**booking, "status": "CANCELED", "revision": "2"}, "previousStatus": "CONFIRMED"}


def _attempts(pipeline: Pipeline, event_id: int) -> int:
    return len(pipeline.event(event_id)["attempts"])


def _connection_event_id(pipeline: Pipeline) -> int:
    from processor.store import event_queries

    def found() -> int | None:
        with pipeline.sessions() as session:
            rows, _ = event_queries.page(session, event_queries.EventFilter(event_type=CONNECTION_EVENT))
        done = [r.id for r in rows if r.status == "succeeded"]
        return done[0] if done else None

    return wait_until(found, timeout=30, message="the watcher's connection event never succeeded")


def test_an_admin_finds_reads_and_replays_events_processed_by_a_real_worker(
    browser: Any, console: Console, fake_wix: FakeWix, signed_event: Any, smtp_sink: Any, shots: Path
) -> None:
    pipeline = console.pipeline
    pipeline.start_worker(beat=True)
    seeded = _paid_booking_with_broken_calendar(fake_wix)
    booking, service = seeded["booking"], seeded["service"]
    canceled = pipeline.post(
        signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking), sequence=2)
    )
    canceled_id = canceled.json["event_id"]
    assert pipeline.wait_for_status(canceled_id)["status"] == "succeeded"
    late = pipeline.post(
        signed_event(CREATED, entity_id=booking["id"], body={**booking, "revision": "1"}, sequence=1)
    )
    late_id = late.json["event_id"]
    dead_ids = [pipeline.post(signed_event("test.permanent")).json["event_id"] for _ in range(3)]
    done_id = pipeline.post(signed_event("test.succeeds", entity_id="effect-1")).json["event_id"]
    for event_id in (late_id, *dead_ids, done_id):
        pipeline.wait_for_status(event_id)
    link_event_id = _connection_event_id(pipeline)
    assert fake_wix.services[service["id"]]["onlineBooking"]["enabled"] is False
    smtp_sink.wait_for(3)

    page = _sign_in(browser, console, ADMIN_TOKEN)
    assert page.inner_text("#role") == "Admin"
    page.goto(console.path("/admin"))
    page.wait_for_selector("#chart")
    assert "store: ready" in page.inner_text("#ready-store")
    _snap(page, shots, "glance")

    # Two statuses and a type: only the cancellation (succeeded) matches, not the late created
    # (skipped, another type) nor the test event (succeeded, another type).
    page.goto(console.path("/admin/events"))
    page.check("input[name=status][value=succeeded]")
    page.check("input[name=status][value=skipped]")
    page.fill("input[name=type]", CANCELED)
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=succeeded"))
    assert _row_ids(page) == [canceled_id]
    assert "succeeded 1" in " ".join(page.inner_text("#status-counts").split())
    _snap(page, shots, "events-filtered")

    page.goto(console.path("/admin/events"))
    page.fill("input[name=q]", booking["id"])
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q="))
    assert _row_ids(page) == [late_id, canceled_id]

    page.click(f"#events-table a:text-is('{canceled_id}')")
    page.wait_for_selector("#effects")
    attempts = page.inner_text("#attempts")
    effects = page.inner_text("#effects")
    assert "#1" in attempts
    assert "succeeded" in attempts
    assert "Refund 50.00 USD" in effects
    assert fake_wix.refunds[0]["id"] in effects  # Wix's refund id, from the ledger's result
    assert "Email: refund issued to the customer" in effects  # notifications, from the outbox
    assert "Email: booking canceled to the host" in effects
    assert "arrived late" in page.inner_text("#related")
    _snap(page, shots, "event-refund")
    page.screenshot(path=str(shots / "docs-event.png"))  # the viewport only: docs/img/console-event.png

    page.goto(console.path(f"/admin/events/{link_event_id}"))
    link_effects = page.inner_text("#effects")
    assert "Link turned off: Intro call" in link_effects
    assert "revision" in link_effects
    assert "Ops alert: link.deactivated" in link_effects
    _snap(page, shots, "event-link")

    # Replay one succeeded event: the confirmation names what the ledger still prevents.
    page.goto(console.path(f"/admin/events/{done_id}"))
    page.click("#replay")
    page.wait_for_selector("#confirm-run-again")
    assert "test-effect:effect-1" in page.inner_text("#prevented")
    _snap(page, shots, "run-again")
    page.click("#confirm-run-again")
    page.wait_for_selector(".flash-ok")
    wait_until(lambda: _attempts(pipeline, done_id) == 2, timeout=30, message="the replay never ran")
    assert pipeline.wait_for_status(done_id)["status"] == "succeeded"
    assert pipeline.effects().count("effect:effect-1") == 1

    # Bulk replay: the count first, then a background job, then the events run again.
    page.goto(console.path("/admin/events?status=dead"))
    page.click("#bulk-replay")
    page.wait_for_selector("#replay-count")
    assert page.inner_text("#replay-count") == "3"
    assert "10,000" in page.inner_text("#cap")
    _snap(page, shots, "bulk-dry-run")
    page.click("#start-replay")
    page.wait_for_selector("#job-status")
    wait_until(
        lambda: page.reload() and page.get_attribute("#job-status", "data-status") == "finished",
        timeout=30,
        message="the bulk replay job never finished",
    )
    assert page.inner_text("#job-progress") == "3 of 3"
    assert page.inner_text("#job-replayed") == "3"
    _snap(page, shots, "bulk-job")
    for event_id in dead_ids:
        wait_until(lambda e=event_id: _attempts(pipeline, e) == 2, timeout=30, message="not re-run")
        assert pipeline.wait_for_status(event_id)["status"] == "dead"

    page.goto(console.path("/admin/attention"))
    groups = page.inner_text("#failure-groups")
    assert "permanent" in groups
    assert "INVALID_ARGUMENT" in groups
    assert "Dana Host" in page.inner_text("#paused-links")
    assert "TOKEN_REVOKED" in page.inner_text("#broken-connections")
    _snap(page, shots, "attention")
    page.click("#paused-links button:text-is('Turn on')")
    page.wait_for_selector(".flash-ok")
    assert fake_wix.services[service["id"]]["onlineBooking"]["enabled"] is True

    page.goto(console.path("/admin/sites"))
    sites_text = page.inner_text("main")
    assert fake_wix.site_id in sites_text
    assert "Dana Host" in sites_text
    assert "never" not in page.inner_text("#last-polled-1")
    _snap(page, shots, "sites")

    phone = _sign_in(browser, console, ADMIN_TOKEN, width="phone")
    for name, path in (
        ("glance", "/admin"),
        ("events", "/admin/events"),
        ("event-refund", f"/admin/events/{canceled_id}"),
        ("attention", "/admin/attention"),
        ("sites", "/admin/sites"),
    ):
        phone.goto(console.path(path))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1, name
        _snap(phone, shots, name)
    page.goto(console.path("/admin/events"))
    _snap(page, shots, "events")


def test_the_viewer_sees_every_page_and_cannot_change_anything(
    browser: Any, console: Console, signed_event: Any, shots: Path
) -> None:
    pipeline = console.pipeline
    hostile = {"note": "<script>window.hacked = 1; alert('x')</script>", "bookingId": "b-1"}
    event_id = pipeline.post(signed_event("test.succeeds", entity_id="e-1", body=hostile)).json["event_id"]
    page = _sign_in(browser, console, VIEWER_TOKEN)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    for path in ("/admin", "/admin/events", f"/admin/events/{event_id}", "/admin/attention", "/admin/sites"):
        answer = page.goto(console.path(path))
        assert answer.status == 200, path
        assert "Viewer" in page.inner_text("#role")
    page.goto(console.path(f"/admin/events/{event_id}"))
    _snap(page, shots, "event-viewer")
    payload = page.inner_text("#payload pre")
    token = page.get_attribute("input[name=csrf_token]", "value")
    forged = page.request.post(
        console.path(f"/admin/events/{event_id}/replay"), form={"csrf_token": token, "run_again": "yes"}
    )
    bulk = page.request.post(console.path("/admin/replay"), form={"csrf_token": token, "status": "queued"})

    assert page.locator("#replay").count() == 0
    assert "<script>window.hacked = 1; alert('x')</script>" in payload
    assert page.locator("#payload script").count() == 0
    assert page.evaluate("window.hacked === undefined")
    assert dialogs == []
    assert (forged.status, bulk.status) == (403, 403)
    assert _attempts(pipeline, event_id) == 0
    page.goto(console.path("/admin/events?status=received&status=queued"))
    assert page.locator("#bulk-replay").count() == 0


def test_a_post_without_the_csrf_token_is_refused(browser: Any, console: Console, signed_event: Any) -> None:
    pipeline = console.pipeline
    event_id = pipeline.post(signed_event("test.permanent")).json["event_id"]
    page = _sign_in(browser, console, ADMIN_TOKEN)

    refused = page.request.post(console.path(f"/admin/events/{event_id}/replay"), form={"run_again": "yes"})

    assert refused.status == 403
    assert "This form has expired" in refused.text()
    assert pipeline.event(event_id)["status"] in ("received", "queued")
