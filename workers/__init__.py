"""Everything that runs later, under Celery: `celery -A workers worker|beat`."""

from __future__ import annotations

from celery.signals import setup_logging, worker_process_init

from processor.config import load_settings
from processor.logs import configure_logging
from workers.celery_app import make_worker_app
from workers.flows import load_flows

settings = load_settings(need_public_key=False)
app = make_worker_app(settings)
load_flows()


@setup_logging.connect
def _configure_logging(**_kwargs: object) -> None:
    configure_logging(settings)


@worker_process_init.connect
def _fresh_connections(**_kwargs: object) -> None:
    from workers import wiring

    wiring._deps = None  # a forked child builds its own engine and clients


import workers.tasks  # noqa: E402,F401  (registers the tasks on `app`)
