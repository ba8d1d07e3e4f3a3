"""The processes of one part: fake Wix API, receiver, workers and beat, on the part's store and broker.

The soak's `Stack` starts and stops them (children die with the harness; cleanup by pid); this one
runs them on a store and broker it is given instead of private servers, with the product's own
defaults for everything the part does not set (the receiver's and worker's pools among them), so the
same harness measures whatever `wix-meetings worker` does by default.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.soak.config import SHORT
from bench.soak.stack import REPO, Slot, Stack, base_env
from processor.devtools.keys import generate_key_pair
from tests.fixtures.servers import ChildProcess, free_port, wait_until

FAKE_READY = re.compile(r"fake wix ready on (?P<url>\S+) app_id=(?P<app_id>\S+) app_secret=(?P<secret>\S+)")


@dataclasses.dataclass(frozen=True)
class Store:
    """Where a part's events live: `env` holds DATABASE_URL / CELERY_BROKER_URL, or nothing for the
    embedded SQLite defaults (then every process shares one working directory, where `var/` is)."""

    name: str
    env: dict[str, str]
    database_url: str

    @property
    def embedded(self) -> bool:
        return "DATABASE_URL" not in self.env


class ProcessingStack(Stack):
    """Receiver, workers, beat and the fake Wix; `settings` go to every product process."""

    def __init__(self, run_dir: Path, store: Store, settings: dict[str, str]) -> None:
        config = dataclasses.replace(SHORT, name="processing", receivers=1, workers=(), beats=0)
        self.private_pem, public_pem = generate_key_pair()
        (run_dir / "wix-public.pem").write_text(public_pem)
        super().__init__(config, run_dir, {"WIX_PUBLIC_KEY": f"@{run_dir / 'wix-public.pem'}"})
        self.store = store
        self.settings = settings
        self.fake: ChildProcess | None = None
        self.fake_url = ""
        self.fake_events: list[dict[str, Any]] = []

    @property
    def receiver_url(self) -> str:
        return self.receivers[0].url

    def env(self, **extra: str) -> dict[str, str]:
        """Clean environment + the part's store and broker + the Wix, SMTP and harness settings."""
        return {**base_env(), **self.store.env, **self.wix_env, **self.settings, **extra}

    def _cwd(self, name: str) -> Path:
        if self.store.embedded:  # the embedded defaults are relative paths: one var/ for all
            name = "shared"
        path = self.run_dir / "proc" / name
        (path / "var").mkdir(parents=True, exist_ok=True)
        return path

    # -- starting -------------------------------------------------------------------------------

    def start_fake(self, *, sites: int, bookings: int, latency_ms: float) -> None:
        """The fake Wix in its own process, seeded; its URL and app credentials go to the product."""
        events = self.run_dir / "fake-events.jsonl"
        args = [
            sys.executable,
            "-m",
            "bench.processing.fake",
            f"--port={free_port()}",
            f"--sites={sites}",
            f"--bookings={bookings}",
            f"--latency-ms={latency_ms:g}",
            f"--events-out={events}",
        ]
        self.fake = self.group.start(args, name="fake-wix", env={**base_env()}, cwd=str(REPO))
        fake = self.fake
        found = wait_until(
            lambda: FAKE_READY.search(fake.output()) or not fake.alive(),
            timeout=120,
            interval=0.1,
            message="the fake Wix did not start",
        )
        if not isinstance(found, re.Match):
            raise RuntimeError(f"the fake Wix exited:\n{fake.output()[-3000:]}")
        self.fake_url = found["url"]
        self.wix_env.update(
            WIX_API_BASE_URL=found["url"], WIX_APP_ID=found["app_id"], WIX_APP_SECRET=found["secret"]
        )
        self.fake_events = [json.loads(line) for line in events.read_text().splitlines()]

    def fake_stats(self) -> dict[str, Any]:
        """`GET /_fake/stats`: per-site requests, busiest 60-s window, refunds by booking."""
        answer = httpx.get(self.fake_url + "/_fake/stats", timeout=30)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats

    def migrate(self) -> None:
        self._run_once("db", "upgrade")

    def start_receiver_ready(self) -> None:
        """`wix-meetings serve` on a free port with its default processes, until /readyz answers."""
        receiver = self.receivers[0]
        receiver.process = self._spawn(
            "receiver", ["serve", "--port", str(receiver.port)], PORT=str(receiver.port)
        )
        self.wait_ready(receiver, timeout=90)

    def start_workers_ready(self, *worker_args: tuple[str, ...]) -> list[Slot]:
        """One `wix-meetings worker [args]` per tuple (no args: the product's default worker), ready."""
        slots = [Slot(len(self.slots) + n, tuple(args)) for n, args in enumerate(worker_args)]
        self.slots.extend(slots)
        for slot in slots:
            self.start_worker(slot)
        for slot in slots:
            self.wait_worker(slot, timeout=120)
        return slots

    def start_beat_ready(self) -> None:
        schedule = self._cwd("beat") / "beat-schedule"
        beat = self._spawn("beat", ["beat", f"--schedule={schedule}"])
        self.beats.append(beat)
        self._wait_started(beat, "Starting", timeout=60)

    def worker_pids(self) -> list[int]:
        return [slot.process.pid for slot in self.slots if slot.process is not None]
