"""make_worker_app(): the Celery app of `processor.queue` plus our tasks and the beat schedule."""

from __future__ import annotations

from celery import Celery

from processor.config import Settings
from processor.queue import PURGE_TASK, SWEEP_TASK, WATCH_CALENDARS_TASK, make_celery


def make_worker_app(settings: Settings) -> Celery:
    """The worker's Celery app: tasks from workers.tasks, sweep, purge (and watcher) on beat."""
    app = make_celery(settings)
    schedule: dict[str, dict[str, object]] = {
        "sweep": {"task": SWEEP_TASK, "schedule": float(settings.sweep_interval_seconds)},
        "purge": {"task": PURGE_TASK, "schedule": float(settings.purge_interval_seconds)},
    }
    if settings.calendar_poll_seconds > 0:
        schedule["watch-calendars"] = {
            "task": WATCH_CALENDARS_TASK,
            "schedule": float(settings.calendar_poll_seconds),
        }
    app.conf.beat_schedule = schedule
    app.conf.beat_schedule_filename = "var/celerybeat-schedule"
    app.conf.include = ["workers.tasks"]
    return app
