"""Everything that runs later, under Celery: `celery -A workers worker|beat`.

`workers.app` is built on first access, so importing `workers.flows` or `workers.notify` (tests,
tools) needs no configuration; Celery's `-A workers` reads `workers.app` and builds it then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from processor.config import Settings

    app: Celery
    settings: Settings


def __getattr__(name: str) -> Any:
    if name in ("app", "settings"):
        _build()
        return globals()[name]
    raise AttributeError(f"module 'workers' has no attribute {name!r}")


def _build() -> None:
    from celery.signals import (
        setup_logging,
        worker_process_init,
        worker_process_shutdown,
        worker_shutting_down,
    )

    from processor.config import load_settings
    from processor.logs import configure_logging
    from workers.celery_app import make_worker_app
    from workers.flows import load_flows

    settings = load_settings(need_public_key=False)
    globals()["settings"] = settings
    globals()["app"] = make_worker_app(settings)
    load_flows()

    @setup_logging.connect(weak=False)
    def _configure_logging(**_kwargs: object) -> None:
        configure_logging(settings, cache_loggers=True)

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: object) -> None:
        from workers import wiring

        wiring.reset()  # a forked child builds its own engine and clients

    @worker_shutting_down.connect(weak=False)
    @worker_process_shutdown.connect(weak=False)
    def _stop_courier(**_kwargs: object) -> None:
        from workers import wiring

        wiring.stop_courier()  # what it still holds is sent first (bounded), or left to the sweep

    import workers.tasks  # noqa: F401  (registers the tasks on `app`)
