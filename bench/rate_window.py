"""One site's Wix budget under 8 worker processes: at most 200 + burst requests in any 60 s window.

    .venv/bin/python bench/rate_window.py [--seconds 120] [--rate 1] [--repo PATH] [--worker-args ...]

Serves the fake Wix API (the `wix-meetings dev fake-wix` code, in this process) with every call
answered after 100 ms, one seeded site in API-key mode; starts the receiver and one
`worker --pool prefork --concurrency 8` (8 processes) of the checkout at --repo on a fresh
PostgreSQL database and Redis db 14; for --seconds, books a paid meeting and cancels it --rate times
a second (REFUND_POLICY=always, 7 Wix calls a refund: far more than 200 a minute), each
cancellation sent as a signed webhook. Then reads `/_fake/stats` (max_requests_in_window: the most
requests to the site in any 60 s) and the store (refunds, deferred attempts). One line: RATEJSON {...}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.latency import PG_ADMIN, _free_port, _wait_ready, start_roles
from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_faults import FaultRates
from processor.devtools.signing import envelope, sign

HERE = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=1.0, help="cancellations a second")
    parser.add_argument("--repo", default=str(HERE))
    parser.add_argument("--worker-args", default="--pool prefork --concurrency 8")
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    fake = FakeWix(faults=FaultRates(latency=0.1)).start(port=_free_port())
    site = fake.site(fake.instance_id)
    site.seed_site()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    database = f"bench_rate_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-rate.") as tmp:
        work = Path(tmp)
        (work / "public.pem").write_text(
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        try:
            port = _free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(repo),
                "DATABASE_URL": f"{PG_ADMIN}/{database}",
                "CELERY_BROKER_URL": redis_url,
                "WIX_PUBLIC_KEY": f"@{work / 'public.pem'}",
                "WIX_API_BASE_URL": fake.url,
                "WIX_API_KEY": fake.api_key,
                "WIX_SITE_ID": fake.site_id,
                "REFUND_POLICY": "always",
                "LOG_FORMAT": "json",
                "CALENDAR_POLL_SECONDS": "0",
                "SWEEP_INTERVAL_SECONDS": "5",
                "MAX_ATTEMPTS": "20",
            }
            procs += start_roles(env, work, port, args.worker_args.split(), beat=True)
            _wait_ready(port, work / "roles.log")
            sent = 0
            started = time.monotonic()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                while time.monotonic() - started < args.seconds:
                    booked = site.book_paid()
                    assert booked.entity_id is not None
                    canceled = site.cancel_booking(booked.entity_id)
                    token = sign(
                        envelope(canceled.event_type, canceled.layer3(), instance_id=canceled.instance_id),
                        private_pem,
                    )
                    client.post("/webhooks/wix", content=token, headers={"Content-Type": "text/plain"})
                    sent += 1
                    time.sleep(max(0.0, started + sent / args.rate - time.monotonic()))
            stats = fake.stats()["sites"][fake.instance_id]
            with psycopg.connect(f"{PG_ADMIN}/{database}") as db:
                outcomes = dict(
                    db.execute("SELECT outcome, count(*) FROM attempts GROUP BY outcome").fetchall()
                )
                statuses = dict(db.execute("SELECT status, count(*) FROM events GROUP BY status").fetchall())
            result = {
                "repo": str(repo),
                "worker_args": args.worker_args,
                "seconds": args.seconds,
                "cancellations_sent": sent,
                "max_requests_in_window": stats.get("max_requests_in_window"),
                "site_stats": stats,
                "attempt_outcomes": outcomes,
                "event_statuses": statuses,
            }
            print("RATEJSON " + json.dumps(result, default=str))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            fake.stop()
            with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    main()
