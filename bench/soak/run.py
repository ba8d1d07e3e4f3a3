"""One soak, in order: sinks and fake Wix, the stack, installs, the day under faults, settling, checks."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.soak.chaos import Chaos, Timeline
from bench.soak.checks import run_checks
from bench.soak.config import TERMINAL, SoakConfig
from bench.soak.day import DayDriver, DayTruth, plan_day
from bench.soak.delivery import Deliverer
from bench.soak.report import details, table, violations, write_results
from bench.soak.sinks import Sinks, SoakFakeWix
from bench.soak.stack import REPO, Stack
from bench.soak.verdict import Check, Inputs
from processor.devtools.fake_wix import FaultRates
from processor.devtools.keys import generate_key_pair

TICK = 0.2
STOP_MARGIN_SECONDS = 25.0  # stopping the stack and running the checks, inside the budget


def say(start: float, text: str) -> None:
    print(f"[soak {time.monotonic() - start:6.1f}s] {text}", flush=True)


def store_counts(url: str) -> dict[str, int]:
    """Events by status, and sites provisioned; {} while the store does not answer."""
    try:
        with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
            counts = dict(conn.execute("SELECT status, count(*) FROM events GROUP BY 1").fetchall())
            sites = conn.execute(
                "SELECT count(*) FROM sites WHERE meetings_service_id IS NOT NULL"
            ).fetchone()
            counts["_sites"] = int(sites[0]) if sites else 0
            return counts
    except psycopg.Error:
        return {}


def unfinished(counts: dict[str, int]) -> int:
    return sum(n for status, n in counts.items() if not status.startswith("_") and status not in TERMINAL)


def run(config: SoakConfig, *, results_dir: Path) -> int:
    """Play one soak; print the table; 0 when every invariant held, 1 on a violation."""
    began = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
    run_dir = REPO / "var" / "soak" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_key_pair()
    (run_dir / "wix-public.pem").write_text(public_pem)
    rates = FaultRates(
        config.latency,
        config.error_500,
        config.rate_limited,
        config.drop,
        config.lost_answer,
        config.retry_after,
    )
    fake = SoakFakeWix(faults=rates, seed=config.seed, request_log_limit=1000)
    fake.start()
    seeded = fake.seed_sites(config.sites)
    sinks = Sinks().start()
    wix_env = {
        "WIX_PUBLIC_KEY": f"@{run_dir / 'wix-public.pem'}",
        "WIX_APP_ID": fake.app_id,
        "WIX_APP_SECRET": fake.app_secret,
        "WIX_API_BASE_URL": fake.url,
        "SMTP_URL": sinks.smtp.url,
        "OPS_WEBHOOK_URL": sinks.ops.url,
    }
    stack = Stack(config, run_dir, wix_env)
    timeline = Timeline()
    deliverer: Deliverer | None = None
    driver: DayDriver | None = None
    samples: list[tuple[float, int]] = []
    checks: list[Check] = []
    try:
        say(began, f"starting the stack (logs in {stack.logs})")
        stack.start()
        servers, processes = stack.startup
        say(
            began,
            f"stack ready (servers {servers:.1f}s, processes {processes:.1f}s): "
            + ", ".join(r.url for r in stack.receivers),
        )
        deliverer = Deliverer(
            [r.url for r in stack.receivers],
            rng=random.Random(config.seed + 1),
            copies=config.copies,
            shuffle_seconds=config.shuffle_seconds,
            senders=config.senders,
            timeout=config.delivery_timeout,
            phase_of=timeline.phase,
        ).start()
        driver = DayDriver(
            fake,
            seeded,
            deliverer,
            plan_day(config, len(seeded), random.Random(config.seed + 2)),
            private_pem,
        )
        timeline.install_started = time.monotonic()
        driver.install_all()
        _wait_installed(stack, deliverer, config, began)
        chaos = Chaos(stack, config, random.Random(config.seed + 3), timeline)
        timeline.day_started = time.monotonic()
        driver.start()
        say(began, f"day started: {len(driver.actions)} actions over {config.day_seconds:g}s")
        next_report = time.monotonic() + 10
        hard_stop = timeline.day_started + config.day_seconds + 60
        while (driver.alive() or not chaos.finished()) and time.monotonic() < hard_stop:
            chaos.tick(day_running=driver.alive())
            for note in stack.revive():
                chaos.note(note)
            samples.append((time.monotonic(), _refunds(fake)))
            if time.monotonic() >= next_report:
                next_report += 10
                _progress(stack, deliverer, began)
            time.sleep(TICK)
        timeline.day_ended = time.monotonic()
        say(began, "day over; settling")
        settled, settle_time = _settle(stack, deliverer, driver.truth, config, began, fake, samples)
        deliverer.stop()
        _write_deliveries(run_dir / "deliveries.jsonl", deliverer, timeline)
        with psycopg.connect(stack.libpq_url, autocommit=True) as conn:
            checks = run_checks(
                Inputs(
                    conn=conn,
                    tally=deliverer.tally,
                    fake=fake,
                    emails=sinks.smtp.messages,
                    ops_posts=sinks.ops.posts,
                    truth=driver.truth,
                    timeline=timeline,
                    refund_samples=samples,
                    worker_kills=stack.worker_kills,
                    retries=deliverer.retries(),
                )
            )
        verdict = f"in {settle_time:.0f}s" if settled else f"NOT in {settle_time:.0f}s (the run's budget)"
        checks.append(Check("load", "settled after the day (backlog drained)", verdict))
        crashes = stack.crashes
        checks.append(
            Check("load", "processes that exited by themselves", str(len(crashes)), details=crashes)
        )
        if driver.truth.harness_errors:
            checks.append(
                Check(
                    "harness",
                    "harness errors",
                    str(len(driver.truth.harness_errors)),
                    False,
                    driver.truth.harness_errors[:12],
                )
            )
    finally:
        if deliverer is not None:
            deliverer.stop()
        if driver is not None:
            driver.stop()
        say(began, "stopping the stack")
        stack.stop()
        with contextlib.suppress(Exception):
            sinks.stop()
        fake.stop()
    print(table(checks))
    evidence = details(checks)
    if evidence:
        print("\n" + evidence)
    path = results_dir / f"soak-{stamp}.md"
    write_results(
        path,
        config=config,
        checks=checks,
        timeline=timeline,
        command=shlex.join(["python", "-m", "bench.soak", *sys.argv[1:]]),
        repo=REPO,
        logs=stack.logs,
        wall_seconds=time.monotonic() - began,
    )
    bad = violations(checks)
    say(began, f"results: {path}; {len(bad)} violation(s)")
    return 1 if bad else 0


def _write_deliveries(path: Path, deliverer: Deliverer, timeline: Timeline) -> None:
    """Every HTTP attempt Wix made, one JSON object a line (`at`: seconds after the day started)."""
    with path.open("w") as out:
        for sent in deliverer.tally.sent:
            record = dataclasses.asdict(sent)
            record["at"] = round(sent.at - timeline.day_started, 3)
            out.write(json.dumps(record) + "\n")


def _refunds(fake: SoakFakeWix) -> int:
    return sum(len(site.state.refunds) for site in fake.sites)


def _progress(stack: Stack, deliverer: Deliverer, began: float) -> None:
    counts = store_counts(stack.libpq_url)
    by_status = {k: v for k, v in sorted(counts.items()) if not k.startswith("_")}
    say(
        began,
        f"sent {len(deliverer.tally.sent)}, open {deliverer.open}; store {by_status or 'not answering'}",
    )


def _wait_installed(stack: Stack, deliverer: Deliverer, config: SoakConfig, began: float) -> None:
    """Every site's AppInstalled acknowledged and its Meetings service stored (bounded)."""
    deadline = time.monotonic() + config.install_timeout
    while time.monotonic() < deadline:
        counts = store_counts(stack.libpq_url)
        if deliverer.open == 0 and counts.get("_sites", 0) >= config.sites and not unfinished(counts):
            say(began, f"{config.sites} sites installed and provisioned")
            return
        time.sleep(0.5)
    say(
        began,
        f"install not finished after {config.install_timeout:g}s: {store_counts(stack.libpq_url)}; going on",
    )


def _settle(
    stack: Stack,
    deliverer: Deliverer,
    truth: DayTruth,
    config: SoakConfig,
    began: float,
    fake: SoakFakeWix,
    samples: list[tuple[float, int]],
) -> tuple[bool, float]:
    """Wait (bounded) until Wix has nothing left to send, every stored event is final, and the watcher
    has had time to see the last recovery."""
    poll = float(config.env()["CALENDAR_POLL_SECONDS"])
    recovered = max((e.recovered_at or 0.0 for e in truth.episodes), default=0.0)
    quiet_after = recovered + 3 * poll + 2
    started = time.monotonic()
    deadline = max(started + 10, began + config.budget_seconds - STOP_MARGIN_SECONDS)
    next_report = time.monotonic() + 10
    counts: dict[str, Any] = {}
    while time.monotonic() < deadline:
        counts = store_counts(stack.libpq_url)
        samples.append((time.monotonic(), _refunds(fake)))
        for note in stack.revive():
            say(began, note)
        if counts and deliverer.open == 0 and not unfinished(counts) and time.monotonic() >= quiet_after:
            say(began, "settled")
            return True, time.monotonic() - started
        if time.monotonic() >= next_report:
            next_report += 10
            _progress(stack, deliverer, began)
        time.sleep(0.5)
    say(began, f"not settled after {time.monotonic() - started:.0f}s: open {deliverer.open}, store {counts}")
    return False, time.monotonic() - started
