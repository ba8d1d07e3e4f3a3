"""Structured logging: JSON lines off a TTY, console on one; never secrets or personal data."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from processor.config import Settings

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+\d[\d ()-]{7,}\d")  # international form; bare digit runs are ids and times
_SECRET_KEYS = ("token", "secret", "password", "authorization", "api_key", "smtp_url")
_PERSONAL_KEYS = ("email", "phone", "name", "first_name", "last_name", "contact")
_SENSITIVE_KEY = re.compile("|".join(map(re.escape, _SECRET_KEYS + _PERSONAL_KEYS)))  # in a lowered key


def scrub(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Drop secrets and personal data from a log record, whatever a caller passed."""
    for key in list(event_dict):
        if _SENSITIVE_KEY.search(key.lower()) and key not in ("event", "event_id", "event_type"):
            event_dict[key] = "[redacted]"
            continue
        value = event_dict[key]
        if isinstance(value, str) and key != "timestamp":
            event_dict[key] = _PHONE.sub("[phone]", _EMAIL.sub("[email]", value))
    return event_dict


_METHOD_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "exception": 40}


def _drop_below(level: int) -> Any:
    """A processor, not a filtering wrapper class: loggers cached under one configuration
    follow a later one (the CLI's quieter level, structlog.testing.capture_logs)."""

    def drop(_logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        if _METHOD_LEVELS.get(method, 50) < level:
            raise structlog.DropEvent
        return event_dict

    return drop


# Celery's two INFO lines per task ("Task … received", "Task … succeeded in …"): our `event.processed`
# line says more about each attempt, and under load these were two JSON lines per event, rendered
# and scrubbed (bench/README.md). Their warnings and errors (a task that raised) still show.
CELERY_PER_TASK = ("celery.worker.strategy", "celery.app.trace")


def configure_logging(
    settings: Settings | None = None, *, level: int = logging.INFO, cache_loggers: bool = False
) -> None:
    """Route structlog and stdlib logging to stderr through one renderer chosen by LOG_FORMAT.

    Our own (structlog) lines are rendered and written directly, without a stdlib LogRecord: on
    the webhook path that is ~40 % cheaper (bench/README.md). Libraries' stdlib lines (gunicorn,
    Celery, SQLAlchemy) go through the same processors via ProcessorFormatter.
    """
    fmt = settings.log_format if settings else ("console" if sys.stderr.isatty() else "json")
    stream = sys.stderr
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    # JSON gets the traceback as text (`exception`), before `scrub` so it is scrubbed too; without
    # it a library's exc_info was rendered as "<traceback object at …>". The console renderer
    # prints tracebacks itself.
    tracebacks: list[Any] = [structlog.processors.format_exc_info] if fmt == "json" else []
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        *tracebacks,
        scrub,
    ]
    structlog.configure(
        processors=[_drop_below(level), *shared, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
        # Long-running roles cache each logger on first use (measurably cheaper per webhook);
        # short commands do not, so loggers stay reconfigurable (and capturable in tests).
        cache_logger_on_first_use=cache_loggers,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("werkzeug", "httpx", "httpcore", "amqp", "kombu", *CELERY_PER_TASK):
        logging.getLogger(noisy).setLevel(logging.WARNING)
