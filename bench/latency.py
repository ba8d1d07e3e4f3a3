"""Receive → first attempt finished, at a fixed webhook rate, on PostgreSQL + Redis, worker idle.

    .venv/bin/python bench/latency.py [--rate 50] [--seconds 20] [--repo PATH] [--worker-args ...]

Starts the receiver (`serve --workers 2`) and one `worker` of the checkout at --repo (default: this
one; a checkout of `main` measures the old doorbell in the same session), fresh PostgreSQL database
and Redis db 14, paces distinct signed webhooks of a type no flow handles (`bench/pace.py`, open
loop) and reads each event's `received_at` and its first attempt's `finished_at` from the store.
Prints one line: LATENCYJSON {...} (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from processor.devtools.signing import domain_event, envelope, sign

EVENT_TYPE = "wix.bookings.v2.booking_number_of_participants_updated"  # no flow: `ignored`
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432"
HERE = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(work: Path, count: int) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    (work / "public.pem").write_text(public_pem)
    lines = []
    for n in range(count):
        data = domain_event(EVENT_TYPE, entity_id=str(uuid.uuid4()), body={"booking": {"id": str(n)}})
        lines.append(sign(envelope(EVENT_TYPE, data), private_pem))
    path = work / "tokens.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_roles(
    env: dict[str, str], work: Path, port: int, worker_args: list[str], *, beat: bool = False
) -> list[subprocess.Popen[bytes]]:
    """Migrate, then start the receiver (`serve --workers 2`), one `worker [worker_args]` and, with
    `beat`, a beat, all logging to work/roles.log (what `_wait_ready` reads)."""
    run = [sys.executable, "-m", "processor"]
    subprocess.run([*run, "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True)
    roles = [["serve", "--port", str(port), "--workers", "2"], ["worker", *worker_args]]
    if beat:
        roles.append(["beat", f"--schedule={work / 'beat'}"])
    log = (work / "roles.log").open("wb")
    return [subprocess.Popen([*run, *role], env=env, cwd=work, stdout=log, stderr=log) for role in roles]


def _wait_ready(port: int, log: Path) -> None:
    """The receiver answers /healthz and the worker said `ready`; then 2 s more to settle."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answered = conn.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            answered = False
        if answered and b"ready." in log.read_bytes():
            time.sleep(2)
            return
        time.sleep(0.5)
    raise SystemExit(f"receiver or worker did not start:\n{log.read_text()[-3000:]}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repo", default=str(HERE), help="checkout whose receiver and worker run")
    parser.add_argument(
        "--worker-args", default="", help="extra arguments of `worker`, e.g. '--pool prefork'"
    )
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    database = f"bench_latency_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-latency.") as tmp:
        work = Path(tmp)
        try:
            count = int(args.rate * args.seconds)
            tokens = _tokens(work, count)
            port = _free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(repo),
                "DATABASE_URL": f"{PG_ADMIN}/{database}",
                "CELERY_BROKER_URL": redis_url,
                "WIX_PUBLIC_KEY": f"@{work / 'public.pem'}",
                "LOG_FORMAT": "json",
                "CALENDAR_POLL_SECONDS": "0",
            }
            procs += start_roles(env, work, port, args.worker_args.split())
            _wait_ready(port, work / "roles.log")
            paced = subprocess.run(
                [
                    sys.executable,
                    str(HERE / "bench" / "pace.py"),
                    "--port",
                    str(port),
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(args.seconds),
                    "--tokens",
                    str(tokens),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            pace = json.loads(paced.stdout.split("PACEJSON ", 1)[1])
            with psycopg.connect(f"{PG_ADMIN}/{database}") as db:
                deadline = time.monotonic() + 60
                query = (
                    "SELECT EXTRACT(EPOCH FROM (MIN(a.finished_at) - e.received_at)) * 1000 "
                    "FROM events e JOIN attempts a ON a.event_id = e.id "
                    "WHERE a.finished_at IS NOT NULL GROUP BY e.id"
                )
                while True:
                    millis = [float(r[0]) for r in db.execute(query).fetchall()]
                    db.commit()
                    if len(millis) >= count or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
            result = {
                "repo": str(repo),
                "worker_args": args.worker_args,
                "rate": args.rate,
                "events": count,
                "finished": len(millis),
                "p50_ms": round(statistics.median(millis), 1),
                "p99_ms": round(_percentile(millis, 0.99), 1),
                "max_ms": round(max(millis), 1),
                "ack_p50_us": pace.get("p50_us"),
            }
            print("LATENCYJSON " + json.dumps(result))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    main()
