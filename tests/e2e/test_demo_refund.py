"""The README's demo, as a new user types it: fake Wix, `run`, `dev send` of a paid cancellation."""

from __future__ import annotations

import json
import re
import sys

import httpx

from tests.fixtures.cli import run_cli, start_run, user_env
from tests.fixtures.servers import free_port, wait_until


def test_a_paid_cancellation_sent_with_dev_send_is_refunded_once_by_the_running_processor(
    tmp_path, process_group
):
    wix_port, port = free_port(), free_port()
    env = user_env(PORT=str(port))
    fake = process_group.start(
        [sys.executable, "-m", "processor", "dev", "fake-wix", "--port", str(wix_port)],
        name="fake-wix",
        env=env,
        cwd=str(tmp_path),
    )
    wait_until(lambda: "Ctrl-C to stop" in fake.output(), timeout=30, message=fake.output())
    booking_id = re.search(r"booking_id: (\S+)", fake.output()).group(1)
    env.update(
        WIX_API_BASE_URL=f"http://127.0.0.1:{wix_port}",
        WIX_API_KEY=re.search(r"WIX_API_KEY=(\S+)", fake.output()).group(1),
        WIX_SITE_ID=re.search(r"WIX_SITE_ID=(\S+)", fake.output()).group(1),
        CALENDAR_POLL_SECONDS="0",
        SWEEP_INTERVAL_SECONDS="1",
    )
    run = start_run(process_group, tmp_path, env, port)

    sends = [
        run_cli(tmp_path, env, "dev", "send", "wix.bookings.v2.booking_canceled", "--entity-id", booking_id)
        for _ in range(2)
    ]

    def finished_events() -> list[dict] | None:
        listed = run_cli(tmp_path, env, "events", "list", "--json").stdout.splitlines()
        rows = [json.loads(line) for line in listed]
        done = len(rows) == 2 and all(r["status"] in ("succeeded", "skipped", "dead") for r in rows)
        return rows if done else None

    rows = wait_until(finished_events, timeout=90, interval=0.5, message=run.output()[-3000:])
    log = httpx.get(f"http://127.0.0.1:{wix_port}/_fake/requests", timeout=5).json()["requests"]
    refunds = [r for r in log if r["path"].endswith("/refund-payments")]

    assert all(s.returncode == 0 for s in sends), [s.stderr for s in sends]
    assert sorted(r["status"] for r in rows) == ["skipped", "succeeded"]
    assert "already refunded" in next(r["status_reason"] for r in rows if r["status"] == "skipped")
    assert len(refunds) == 1
    refunded = next(r for r in rows if r["status"] == "succeeded")
    shown = run_cli(tmp_path, env, "events", "show", str(refunded["id"]))
    assert "status           succeeded" in shown.stdout
    assert "refund" in (refunded["status_reason"] or "")
