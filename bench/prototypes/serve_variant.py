"""PROTOTYPE, not product code: `wix-meetings serve` with ingest changes patched in at start-up.

Used by bench/run-ingest.sh targets `pg:<flags>` / `sqlite:<flags>` to measure, in the same run as
the unchanged product, what a proposed product change would buy. Flags (comma-separated):

  nopreping   engine without pool_pre_ping (one round trip less per request: the SELECT 1 on checkout)
  autocommit  record_received as ONE autocommitted `INSERT … ON CONFLICT DO NOTHING RETURNING id`
              (no BEGIN / COMMIT round trips; same durability: the statement commits before we answer)
  nolog       drop the per-request `webhook.accepted` log line (structlog JSON to stderr)
  core        like autocommit, with the INSERT built ONCE at import (SQLAlchemy Core, values as
              bind parameters) instead of an ORM insert(...).values(**13 values) per request
  batchpub    the doorbell publishes ONE message per batch (`process_events` with a list of ids)
              instead of one Celery send_task per event (needs a worker task that takes a list)
  coalesce    the doorbell thread waits 50 ms after the first id before draining its queue, so
              it publishes and marks `queued` in batches instead of one transaction per event
  nodoorbell  ring() does nothing (isolates the doorbell thread's cost; events stay `received`)
  switch      sys.setswitchinterval(0.0005): tests the GIL convoy hypothesis (the doorbell thread
              holding the GIL for up to 5 ms whenever the request thread waits on a socket)
  granian     serve with granian's WSGI interface instead of gunicorn sync (if installed)

Same gunicorn settings as processor.cli.roles.serve. Usage:
  python bench/prototypes/serve_variant.py --port P --workers N --flags nopreping,autocommit
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any


def patch(flags: set[str]) -> None:
    import processor.web as web
    from processor.store import db, inbox

    if "nopreping" in flags:
        original_make_engine = db.make_engine

        def make_engine(url: str, **kwargs: Any) -> Any:
            if not url.startswith("sqlite"):
                kwargs["pool_pre_ping"] = False
            return original_make_engine(url, **kwargs)

        setattr(web, "make_engine", make_engine)  # noqa: B010 (a module attribute create_app uses)

    if "batchpub" in flags:
        import processor.queue as q

        def publish(celery: Any, event_ids: Any) -> list[int]:
            try:
                celery.send_task("process_events", args=[list(event_ids)], retry=False)
            except Exception:
                return []
            return list(event_ids)

        q.publish = publish

    if "core" in flags:
        from sqlalchemy import select
        from sqlalchemy.dialects import postgresql

        from processor.store.models import Event, EventStatus

        insert_once = (
            postgresql.insert(Event)
            .on_conflict_do_nothing(index_elements=["wix_event_id"])
            .returning(Event.id)
        )
        original_record_core = inbox.record_received

        def record_received_core(session: Any, event: Any, now: Any = None) -> tuple[int, bool]:
            engine = session.get_bind()
            if engine.dialect.name != "postgresql":
                return original_record_core(session, event, now)
            now = now or db.utcnow()
            values = {
                "wix_event_id": event.wix_event_id,
                "event_type": event.event_type,
                "source": event.source,
                "instance_id": event.instance_id,
                "entity_id": event.entity_id,
                "entity_sequence": event.entity_sequence,
                "event_time": event.event_time,
                "status": EventStatus.RECEIVED.value,
                "payload": event.payload,
                "received_at": now,
                "updated_at": now,
                "attempt_count": 0,
                "replay_base": 0,
            }
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                new_id = conn.execute(insert_once, values).scalar_one_or_none()
                if new_id is not None:
                    return int(new_id), True
                existing = conn.execute(select(Event.id).where(Event.wix_event_id == event.wix_event_id))
                return int(existing.scalar_one()), False

        inbox.record_received = record_received_core

    if "autocommit" in flags:
        original_record = inbox.record_received
        from sqlalchemy import select
        from sqlalchemy.dialects import postgresql

        from processor.store.models import Event, EventStatus

        def record_received(session: Any, event: Any, now: Any = None) -> tuple[int, bool]:
            engine = session.get_bind()
            if engine.dialect.name != "postgresql":
                return original_record(session, event, now)
            now = now or db.utcnow()
            statement = (
                postgresql.insert(Event)
                .values(
                    wix_event_id=event.wix_event_id,
                    event_type=event.event_type,
                    source=event.source,
                    instance_id=event.instance_id,
                    entity_id=event.entity_id,
                    entity_sequence=event.entity_sequence,
                    event_time=event.event_time,
                    status=EventStatus.RECEIVED.value,
                    payload=event.payload,
                    received_at=now,
                    updated_at=now,
                    attempt_count=0,
                    replay_base=0,
                )
                .on_conflict_do_nothing(index_elements=["wix_event_id"])
                .returning(Event.id)
            )
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                new_id = conn.execute(statement).scalar_one_or_none()
                if new_id is not None:
                    return int(new_id), True
                existing = conn.execute(select(Event.id).where(Event.wix_event_id == event.wix_event_id))
                return int(existing.scalar_one()), False

        inbox.record_received = record_received

    if "coalesce" in flags:
        import queue
        import time

        import processor.queue as pq

        def _run(self: Any) -> None:
            while True:
                ids = [self._pending.get()]
                time.sleep(0.05)  # let more rings arrive: one publish + one UPDATE per batch
                while len(ids) < self._batch:
                    try:
                        ids.append(self._pending.get_nowait())
                    except queue.Empty:
                        break
                try:
                    published = pq.publish(self._celery, ids)
                    if published:
                        self._on_queued(published)
                except Exception as exc:
                    pq.log.warning("doorbell.failed", error=type(exc).__name__, count=len(ids))

        pq.Doorbell._run = _run  # type: ignore[method-assign]

    if "nodoorbell" in flags:
        from processor.queue import Doorbell

        Doorbell.ring = lambda self, event_id: None  # type: ignore[method-assign]

    if "switch" in flags:
        import sys

        sys.setswitchinterval(0.0005)

    if "nolog" in flags:
        import structlog

        import processor.web.webhooks as webhooks

        class _Quiet:
            def __getattr__(self, name: str) -> Any:
                real = getattr(structlog.get_logger("processor.web.webhooks"), name)
                return (lambda *a, **k: None) if name == "info" else real

        webhooks.log = _Quiet()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flags", default="")
    args = parser.parse_args()
    flags = {f for f in args.flags.split(",") if f}
    metrics_dir = Path("var") / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    patch(flags)
    from processor.config import load_settings
    from processor.web import create_app

    app = create_app(load_settings())
    if "granian" in flags:
        from granian.constants import Interfaces
        from granian.server import Server as Granian

        os.environ["BENCH_APP_FLAGS"] = args.flags
        Granian(
            "bench.prototypes.serve_variant:granian_app",
            address="127.0.0.1",
            port=args.port,
            interface=Interfaces.WSGI,
            workers=args.workers,
        ).serve()
        return
    from gunicorn.app.base import BaseApplication

    from processor.cli.roles import _child_exit

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 30)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("child_exit", _child_exit)

        def load(self) -> Any:
            return app

    Server().run()


def granian_app(*_args: Any) -> Any:  # granian imports the app in each worker
    patch({f for f in os.environ.get("BENCH_APP_FLAGS", "").split(",") if f})
    from processor.config import load_settings
    from processor.web import create_app

    return create_app(load_settings())


if __name__ == "__main__":
    main()
