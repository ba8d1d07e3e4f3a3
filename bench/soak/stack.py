"""The deployment the soak runs: private Redis, throwaway PostgreSQL, receivers, workers and beats.

Every process is started from the main thread: children get PR_SET_PDEATHSIG (they die with the
harness, even on SIGKILL), and Linux sends it when the *thread* that forked them ends, so a child
started from a short-lived thread would die with that thread. Cleanup is by pid: each process group
the harness started, the Redis it started, and the cluster's own postmaster.pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.soak.config import SoakConfig
from tests.fixtures.servers import (
    ChildProcess,
    PrivateRedis,
    ProcessGroup,
    ThrowawayPostgres,
    free_port,
    make_throwaway_postgres,
    wait_until,
)

REPO = Path(__file__).resolve().parents[2]
PRODUCT = [sys.executable, "-m", "processor"]


def base_env() -> dict[str, str]:
    """What every product process gets before its settings: no setting of the caller's leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONPATH": str(REPO),
    }


@dataclass
class Slot:
    """One worker host: its extra `worker` arguments and the process running there now."""

    index: int
    args: tuple[str, ...]
    process: ChildProcess | None = None
    generation: int = 0


@dataclass
class Receiver:
    index: int
    port: int
    process: ChildProcess | None = None
    killed: bool = False  # by the harness, on purpose: not restarted by `revive`

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Stack:
    """Starts, breaks and stops the processes; knows their URLs."""

    def __init__(self, config: SoakConfig, run_dir: Path, wix_env: dict[str, str]) -> None:
        self.config = config
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.group = ProcessGroup(self.logs)
        self.wix_env = wix_env
        self.postgres: ThrowawayPostgres | None = None
        self.redis: PrivateRedis | None = None
        self.receivers = [Receiver(i, free_port()) for i in range(config.receivers)]
        self.slots = [Slot(i, tuple(args)) for i, args in enumerate(config.workers)]
        self.beats: list[ChildProcess] = []
        self.worker_kills = 0
        self.startup = (0.0, 0.0)  # seconds: PostgreSQL + Redis + schema, then the processes
        self.crashes: list[str] = []  # processes that exited without the harness killing them

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Everything up and ready: store, broker, schema, receivers, workers, beats."""
        began = time.monotonic()
        self.postgres = make_throwaway_postgres("soak")
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise RuntimeError("redis-server is not installed (run scripts/ensure-test-services.sh)")
        (self.run_dir / "redis").mkdir(exist_ok=True)
        self.redis = PrivateRedis(redis_server, free_port(), self.run_dir / "redis")
        self.redis.start()
        self._run_once("db", "upgrade")
        servers = time.monotonic() - began
        for receiver in self.receivers:
            self.start_receiver(receiver)
        for slot in self.slots:
            self.start_worker(slot)
        for number in range(self.config.beats):
            schedule = self._cwd(f"beat{number}") / "schedule"
            self.beats.append(self._spawn(f"beat{number}", ["beat", f"--schedule={schedule}"]))
        for receiver in self.receivers:
            self.wait_ready(receiver, timeout=90)
        for slot in self.slots:
            self.wait_worker(slot, timeout=120)
        for beat in self.beats:
            self._wait_started(beat, "Starting", timeout=60)
        self.startup = (servers, time.monotonic() - began - servers)

    @property
    def database_url(self) -> str:
        assert self.postgres is not None
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.postgres.port}/soak"

    @property
    def libpq_url(self) -> str:
        assert self.postgres is not None
        return f"postgresql://postgres@127.0.0.1:{self.postgres.port}/soak"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: nothing of the caller's settings leaks into the product."""
        assert self.redis is not None
        return {
            **base_env(),
            **self.config.env(),
            **self.wix_env,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.redis.url,
            **extra,
        }

    def _cwd(self, name: str) -> Path:
        """Each process has a working directory of its own (`var/`, metrics, beat schedule)."""
        path = self.run_dir / "proc" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _spawn(self, name: str, args: list[str], **env: str) -> ChildProcess:
        cwd = str(self._cwd(name))  # also HOME: gunicorn puts its control socket in ~/.gunicorn
        return self.group.start([*PRODUCT, *args], name=name, env=self.env(HOME=cwd, **env), cwd=cwd)

    def _run_once(self, *args: str) -> None:
        done = subprocess.run(
            [*PRODUCT, *args],
            env=self.env(),
            cwd=self._cwd("cli"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")

    # -- receivers ----------------------------------------------------------------------------

    def start_receiver(self, receiver: Receiver) -> None:
        """`wix-meetings serve` (gunicorn) on the receiver's port; returns at once."""
        receiver.killed = False
        receiver.process = self._spawn(
            f"receiver{receiver.index}",
            ["serve", "--port", str(receiver.port), "--workers", str(self.config.web_workers)],
            PORT=str(receiver.port),
            PUBLIC_BASE_URL=receiver.url,
        )

    def ready(self, receiver: Receiver) -> bool:
        """/readyz answers 200: the receiver, its store and its broker work."""
        return self._answers(receiver, "/readyz")

    def serving(self, receiver: Receiver) -> bool:
        """/healthz answers 200: the receiver's process serves (its broker may be down)."""
        return self._answers(receiver, "/healthz")

    def _answers(self, receiver: Receiver, path: str) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(receiver.url + path, timeout=2).status_code == 200
        return False

    def wait_ready(self, receiver: Receiver, timeout: float) -> None:
        process = receiver.process
        assert process is not None
        wait_until(
            lambda: self.ready(receiver) or not process.alive(),
            timeout=timeout,
            interval=0.2,
            message=f"receiver {receiver.index} not ready",
        )
        if not process.alive():
            raise RuntimeError(f"receiver {receiver.index} exited:\n{process.output()[-3000:]}")

    def kill_receiver(self, receiver: Receiver) -> None:
        """SIGKILL the receiver's whole process group (gunicorn master and workers), as a host dies."""
        if receiver.process is not None:
            receiver.killed = True
            receiver.process.kill_hard()

    # -- workers ------------------------------------------------------------------------------

    def start_worker(self, slot: Slot) -> None:
        """`wix-meetings worker [slot args]` with a fresh node name; returns at once."""
        slot.generation += 1
        name = f"w{slot.index}g{slot.generation}"
        slot.process = self._spawn(f"worker-{name}", ["worker", *slot.args, f"--hostname={name}@soak"])

    def wait_worker(self, slot: Slot, timeout: float) -> None:
        assert slot.process is not None
        self._wait_started(slot.process, " ready.", timeout=timeout)

    def _wait_started(self, process: ChildProcess, marker: str, timeout: float) -> None:
        """Wait until the process logs `marker` (Celery: "<node> ready.", beat: "Starting")."""
        wait_until(
            lambda: marker in process.output() or not process.alive(),
            timeout=timeout,
            interval=0.2,
            message=f"{process.log_path.name}: no {marker!r} in its log",
        )
        if not process.alive():
            raise RuntimeError(f"{process.log_path.name} exited:\n{process.output()[-3000:]}")

    def kill_worker(self, slot: Slot) -> int | None:
        """SIGKILL the worker's whole group (main process and pool children); its pid."""
        process = slot.process
        if process is None:
            return None
        process.kill_hard()
        self.worker_kills += 1
        return process.pid

    def revive(self) -> list[str]:
        """Start again any receiver, worker or beat that exited by itself; what happened, in words."""
        notes: list[str] = []

        def exited(process: ChildProcess | None) -> bool:
            if process is None or process.alive():
                return False
            notes.append(f"{process.log_path.name} exited by itself ({process.returncode}); started again")
            return True

        for slot in self.slots:
            if exited(slot.process):
                self.start_worker(slot)
        for receiver in self.receivers:
            if not receiver.killed and exited(receiver.process):
                self.start_receiver(receiver)
        for number, beat in enumerate(self.beats):
            if exited(beat):
                schedule = self._cwd(f"beat{number}") / "schedule"
                self.beats[number] = self._spawn(f"beat{number}", ["beat", f"--schedule={schedule}"])
        self.crashes += notes
        return notes

    # -- the servers ----------------------------------------------------------------------------

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.stop(grace=5)

    def start_redis(self) -> None:
        assert self.redis is not None
        self.redis.start()

    def restart_postgres(self) -> tuple[float, float]:
        """Fast shutdown (as a failover does), then start; (seconds down, seconds to start)."""
        assert self.postgres is not None
        began = time.monotonic()
        self.postgres.stop(mode="fast")
        stopped = time.monotonic()
        self.postgres.start()
        return stopped - began, time.monotonic() - stopped

    # -- stop -----------------------------------------------------------------------------------

    def stop(self, grace: float = 5.0) -> None:
        """Stop what runs (only the harness's own pids): SIGTERM every main process at once (gunicorn's
        master and Celery's main process stop their children), SIGKILL the group of whatever is left
        after `grace`; then Redis, then the cluster (by its own postmaster.pid if pg_ctl fails)."""
        running = [child for child in self.group.children if child.alive()]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.popen.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(Exception):
                child.kill_hard()  # the group: children that outlived their leader
        if self.redis is not None:
            with contextlib.suppress(Exception):
                self.redis.stop(grace=2)
        if self.postgres is not None:
            with contextlib.suppress(Exception):
                self.postgres.dispose()
