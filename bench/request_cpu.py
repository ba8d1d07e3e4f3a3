"""CPU per webhook, in one process, without HTTP: where the product's time goes next to verify-only.

Calls each WSGI app directly (werkzeug environs, no gunicorn, no sockets, no wrk), with distinct
signed tokens, and reports wall and process CPU time per request (all threads of this process:
the request and the doorbell thread; the PostgreSQL backend's CPU is measured separately from
/proc, so run it as a user that can read the backend's /proc entry, e.g. root on a dev box).

Variants of the product show what each part costs: `nobell` (no doorbell), `nolog` (no accepted
log line). They are patched in here, never in processor/.

Usage: python bench/request_cpu.py [--requests 4000] [--pg-admin-url postgresql://postgres@127.0.0.1:5432]
Needs the shared PostgreSQL and Redis (db 14 is used and flushed).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import redis
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_tokens
import verify_only

from processor.devtools.keys import generate_key_pair

DATABASE = "bench_request_cpu"
REDIS_URL = "redis://127.0.0.1:6379/14"


def make_tokens(count: int) -> tuple[str, list[str]]:
    """A fresh key pair's public PEM and `count` distinct signed webhooks (gen_tokens.py's kind)."""
    private_pem, public_pem = generate_key_pair()
    gen_tokens._init(private_pem)
    return public_pem, gen_tokens._batch((0, count, int(time.time()), 3600))


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        yield f"{admin_url}/{DATABASE}"
    finally:
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def backend_cpu_seconds(database_url: str) -> float:
    """CPU of every backend connected to the bench database (utime + stime from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    with psycopg.connect(database_url, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run(app: Any, tokens: list[str]) -> tuple[float, float]:
    environs = [
        EnvironBuilder(path="/webhooks/wix", method="POST", data=t, content_type="text/plain").get_environ()
        for t in tokens
    ]

    def start_response(status: str, _headers: Any, _exc_info: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(status)

    wall, cpu = time.perf_counter(), time.process_time()
    for environ in environs:
        for _chunk in app(environ, start_response):
            pass
    return time.perf_counter() - wall, time.process_time() - cpu


def product_app(public_pem: str, database_url: str, variant: str) -> Any:
    from processor.config import load_settings
    from processor.store.db import make_engine
    from processor.store.migrate import upgrade
    from processor.web import create_app

    upgrade(make_engine(database_url))
    env = {
        "WIX_PUBLIC_KEY": public_pem,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "LOG_FORMAT": "json",
    }
    app = create_app(load_settings(env))
    if "nobell" in variant:
        app.extensions["doorbell"].ring = lambda _event_id: None
    if "nolog" in variant:
        import processor.web.webhooks as webhooks

        webhooks.log = type("Quiet", (), {"info": lambda *_a, **_k: None})()
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    n = args.requests
    print(f"signing {n * 5} tokens…", file=sys.stderr)
    public_pem, tokens = make_tokens(n * 5)
    batches = [tokens[i * n : (i + 1) * n] for i in range(5)]
    logs = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
    real_stderr, sys.stderr = sys.stderr, logs  # the product's JSON lines, written as in production

    rows: list[tuple[str, float, float, float | None]] = []
    wall, cpu = run(verify_only.create_app(public_pem.encode()), batches[0])
    rows.append(("verify-only", wall, cpu, None))
    for i, variant in enumerate(("", "nobell", "nolog", "nobell,nolog"), start=1):
        with fresh_database(args.pg_admin_url) as database_url:
            app = product_app(public_pem, database_url, variant)
            run(app, batches[i][:200])  # warm: connections, prepared statement, first publish
            before = backend_cpu_seconds(database_url)
            wall, cpu = run(app, batches[i][200:])
            time.sleep(0.3)  # the doorbell's last window
            backend = backend_cpu_seconds(database_url) - before
            rows.append((f"product PG+Redis {variant}".strip(), wall, cpu, backend))
            app.extensions["engine"].dispose()
    sys.stderr = real_stderr
    redis.Redis.from_url(REDIS_URL).flushdb()  # the messages the doorbell published
    out = io.StringIO()
    out.write("| app | requests | wall µs/req | this process CPU µs/req | PostgreSQL backends CPU µs/req |\n")
    out.write("|---|---|---|---|---|\n")
    for name, wall, cpu, backend in rows:
        count = n if name == "verify-only" else n - 200
        pg = f"{backend / count * 1e6:.0f}" if backend is not None else "n/a"
        out.write(f"| {name} | {count} | {wall / count * 1e6:.0f} | {cpu / count * 1e6:.0f} | {pg} |\n")
    print(out.getvalue())
    os.unlink(logs.name)


if __name__ == "__main__":
    main()
