"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from processor import metrics, retention_metrics
from processor.store.store_size import read_store_size

bp = Blueprint("health", __name__)

READY_TIMEOUT_SECONDS = 1.5
_checks = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 while the process runs."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """200 when the store and the broker answer, else 503; always within two seconds."""
    results = check_readiness(current_app._get_current_object())  # type: ignore[attr-defined]
    ready = all(r["status"] == "ok" for r in results.values())
    return {"status": "ready" if ready else "unavailable", "checks": results}, 200 if ready else 503


def check_readiness(app: object) -> dict[str, dict[str, str]]:
    """Each dependency's check (`store`, `broker`) → {"status": "ok"} or failing with the error's name."""
    checks: dict[str, Callable[[], None]] = {
        "store": lambda: _check_store(app),
        "broker": lambda: _check_broker(app),
    }
    futures = {name: _checks.submit(check) for name, check in checks.items()}
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    results: dict[str, dict[str, str]] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            results[name] = {"status": "ok"}
        except concurrent.futures.TimeoutError:
            results[name] = {"status": "failing", "error": "timed out"}
        except Exception as exc:
            results[name] = {"status": "failing", "error": type(exc).__name__}
    return results


@bp.get("/metrics")
def metrics_text() -> ResponseReturnValue:
    """Prometheus text format."""
    body = metrics.render(current_app.extensions["read_store_metrics"])
    body += retention_metrics.render(lambda: read_store_size(current_app.extensions["sessions"]))
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")


def _check_store(app: object) -> None:
    engine = app.extensions["engine"]  # type: ignore[attr-defined]
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _check_broker(app: object) -> None:
    celery = app.extensions["celery"]  # type: ignore[attr-defined]
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=1)
        if connection.transport_cls in ("redis", "rediss") or "redis" in str(connection.transport):
            connection.default_channel.client.ping()
