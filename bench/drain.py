"""Drain benchmark (issue 11 item 1): how fast one `wix-meetings worker` finishes events no flow handles.

    .venv/bin/python -m bench.drain --store postgres   # PostgreSQL + Redis
    .venv/bin/python -m bench.drain --store sqlite     # the embedded defaults (SQLite store and broker)

N events (default 3000) of a type no flow handles are stored and published exactly as the receiver's
doorbell does (one `process_events` message per 500 ids, then `queued`), into a fresh store: a new
PostgreSQL database on the shared server (dropped at the end) with a private `redis-server` on a free
loopback port, or a SQLite store and SQLite broker in a temp directory. Then one `wix-meetings worker`
(default settings: prefork, WORKER_CONCURRENCY=2) is started and the store is polled until every event
is final (bounded by --timeout). The rate is taken from the store's own timestamps, N / (last attempt
finished - first attempt started), so the worker's start-up does not count; the worker's CPU (all its
processes, from /proc) is sampled when the first event leaves `queued` and when the last is final.
One JSON line on stdout; the worker's log goes to the temp dir (kept with --keep).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from processor.config import load_settings
from processor.devtools.keys import generate_key_pair
from processor.queue import MESSAGE_BATCH, make_celery, publish
from processor.store import inbox
from processor.store.db import make_engine, make_sessions
from processor.store.migrate import upgrade
from processor.store.models import Attempt, Event
from processor.wix_event import WixEvent

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
UNHANDLED = "bench.unhandled"  # no flow handles it: the event ends `ignored`
FINAL = ("succeeded", "ignored", "skipped", "dead")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (worker log)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    try:
        with _stack(args.store, work) as env:
            result = _drain(env, work, args.events, args.timeout)
        result.update(store=args.store, events=args.events, commit=_commit())
        print(json.dumps(result))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _stack(store: str, work: Path) -> Iterator[dict[str, str]]:
    """Settings of a fresh store and broker of this run's own; torn down after."""
    if store == "sqlite":
        yield {
            "DATABASE_URL": f"sqlite:///{work / 'var' / 'wix-meetings.sqlite3'}",
            "CELERY_BROKER_URL": f"sqla+sqlite:///{work / 'var' / 'broker.sqlite3'}",
        }
        return
    import psycopg

    name = f"bench_drain_{uuid.uuid4().hex[:8]}"
    port = _free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _wait_for_port(port)
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        yield {"DATABASE_URL": f"{base}/{name}", "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
    finally:
        redis.terminate()
        redis.wait(10)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drain(env: dict[str, str], work: Path, count: int, timeout: float) -> dict[str, Any]:
    (work / "var").mkdir(exist_ok=True)
    settings = load_settings({**env, "LOG_FORMAT": "json"}, need_public_key=False)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    celery = make_celery(settings)
    ids = _store_events(sessions, count)
    for start in range(0, len(ids), MESSAGE_BATCH):  # as the doorbell does: publish, then `queued`
        part = publish(celery, ids[start : start + MESSAGE_BATCH])
        with sessions() as session:
            inbox.mark_queued(session, part)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("WIX_", "DATABASE_", "CELERY_"))}
    public_key = work / "public.pem"
    public_key.write_text(generate_key_pair()[1])  # the worker's Deps read every setting
    child_env.update(
        env,
        LOG_FORMAT="json",
        PYTHONPATH=str(REPO),
        CALENDAR_POLL_SECONDS="0",
        WIX_PUBLIC_KEY=f"@{public_key}",
    )
    log = (work / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "processor", "worker"],
        cwd=work,
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped by pid below
    )
    cpu_at_start: float | None = None
    deadline = time.monotonic() + timeout
    finished = 0
    try:
        while time.monotonic() < deadline:
            with sessions() as session:
                by_status = dict(
                    session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
                )
            finished = sum(by_status.get(s, 0) for s in FINAL)
            if cpu_at_start is None and by_status.get("queued", 0) < count:
                cpu_at_start = _cpu_seconds(worker.pid)
            if finished >= count:
                break
            time.sleep(0.05)
        cpu_at_end = _cpu_seconds(worker.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        log.close()
    with sessions() as session:
        first, last = session.execute(
            select(func.min(Attempt.started_at), func.max(Attempt.finished_at))
        ).one()
        attempts = session.execute(select(func.count()).select_from(Attempt)).scalar_one()
        by_status = dict(session.execute(select(Event.status, func.count()).group_by(Event.status)).all())
    engine.dispose()
    seconds = (last - first).total_seconds() if first and last else None
    cpu = cpu_at_end - (cpu_at_start or 0.0)
    return {
        # When it timed out: the rate of the part that was finished.
        "events_per_second": round(attempts / seconds, 1) if seconds else None,
        "drain_seconds": round(seconds, 3) if seconds else None,
        "worker_cpu_ms_per_event": round(1000 * cpu / max(finished, 1), 3),
        "final": finished,
        "attempts": attempts,
        "by_status": by_status,
        "timed_out": finished < count,
    }


def _store_events(sessions: Any, count: int) -> list[int]:
    ids = []
    run = uuid.uuid4().hex[:8]
    with sessions() as session:
        for n in range(count):
            event = WixEvent(
                wix_event_id=f"drain-{run}-{n}",
                event_type=UNHANDLED,
                instance_id="bench-site",
                entity_id=f"entity-{n}",
                entity_sequence=None,
                event_time=None,
                payload={"eventType": UNHANDLED, "instanceId": "bench-site", "data": {"n": n}},
            )
            ids.append(inbox.record_received(session, event)[0])
    return ids


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and all its descendants now (Linux /proc)."""
    total = 0.0
    for one in _tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        for task in Path(f"/proc/{one}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int) -> None:
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on {port}")


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip()


if __name__ == "__main__":
    main()
