"""create_app(): the Flask receiver, admin API, health and metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from processor.config import Settings, load_settings
from processor.events import load_public_keys
from processor.logs import configure_logging
from processor.metrics import RECENT_WINDOW_SECONDS, StoreSnapshot
from processor.queue import Doorbell, doorbell_idle_window, make_celery
from processor.store import event_queries, inbox
from processor.store.db import Sessions, make_engine, make_sessions, session_scope, utcnow
from processor.store.pg_ingest import PostgresIngest
from processor.web import admin, calendars_page, health, webhooks
from processor.web.console import init_console
from processor.web.context import STORE_ERRORS, close_request_session
from processor.wix_event import WixEvent

Recorder = Callable[[WixEvent], tuple[int, bool]]


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> Flask:
    """Build the web app from settings (read from the environment when not given)."""
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings, cache_loggers=True)
    app = Flask("processor.web")
    # One byte over the limit gets through the stream wrapper, so the view can tell a chunked
    # body that exceeds the limit (Werkzeug truncates those silently) from one that fits.
    app.config["MAX_CONTENT_LENGTH"] = settings.webhook_max_bytes + 1
    app.json.sort_keys = False  # type: ignore[attr-defined]
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    celery = make_celery(settings)

    def on_queued(event_ids: list[int]) -> None:
        with sessions() as session:
            inbox.mark_queued(session, event_ids)

    app.extensions.update(
        settings=settings,
        record_received=_make_recorder(settings, engine, sessions),
        public_keys=load_public_keys(settings.wix_public_keys),
        engine=engine,
        sessions=sessions,
        celery=celery,
        doorbell=Doorbell(celery, on_queued, idle_window=doorbell_idle_window(settings)),
    )
    for blueprint in (webhooks.bp, admin.bp, health.bp, calendars_page.bp):
        app.register_blueprint(blueprint)
    init_console(app, settings)
    app.teardown_appcontext(close_request_session)
    _register_error_handlers(app)
    app.extensions["read_store_metrics"] = lambda: _store_snapshot(sessions)
    return app


def _make_recorder(settings: Settings, engine: Engine, sessions: Sessions) -> Recorder:
    """How the receiver stores an event: on PostgreSQL one prepared, autocommitted statement
    (processor/store/pg_ingest.py), elsewhere a short transaction on the shared engine."""
    if engine.dialect.name == "postgresql":
        return PostgresIngest(settings.database_url).record

    def record(event: WixEvent) -> tuple[int, bool]:
        with sessions() as session:
            return inbox.record_received(session, event)

    return record


def _store_snapshot(sessions: Any) -> StoreSnapshot:
    with session_scope(sessions) as session:
        by_type = event_queries.count_by_type_and_status(session)
        since = utcnow() - timedelta(seconds=RECENT_WINDOW_SECONDS)
        recent = event_queries.recent_attempt_durations(session, since)
    by_status: dict[str, int] = {}
    for (_event_type, status), count in by_type.items():
        by_status[status] = by_status.get(status, 0) + count
    return StoreSnapshot(by_status, by_type, recent)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> tuple[dict[str, str], int]:
        from processor.metrics import WEBHOOKS_REJECTED

        WEBHOOKS_REJECTED.labels("payload_too_large").inc()
        return {"error": "payload_too_large"}, 413

    @app.errorhandler(OperationalError)
    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(psycopg.Error)  # the PostgreSQL ingest path (processor/store/pg_ingest.py)
    def store_unavailable(exc: Exception) -> tuple[dict[str, str], int]:
        app.logger.warning("store unavailable: %s", type(exc).__name__)
        return {"error": "store_unavailable"}, 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[dict[str, Any], int]:
        code = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        return {"error": name}, code


__all__ = ["STORE_ERRORS", "create_app"]
