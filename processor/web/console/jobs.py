"""Bulk replays in the background: a thread in this web process, its progress and cancel flag in the store.

Each chunk goes through processor.replay.replay, the code path of the CLI and the admin API. A job
whose process dies stops where it was (the events it replayed stay replayed); its page says so.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog
from flask import Flask

from processor import replay
from processor.store import replay_jobs

log = structlog.get_logger(__name__)
CHUNK = 100


def start_replay_job(app: Flask, job_id: int, event_ids: Sequence[int], *, force: bool) -> threading.Thread:
    """Run the job's replay in a daemon thread; returns the thread (tests join it)."""
    thread = threading.Thread(
        target=run_replay_job,
        args=(app, job_id, list(event_ids)),
        kwargs={"force": force},
        name=f"console-replay-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread


def run_replay_job(app: Flask, job_id: int, event_ids: list[int], *, force: bool) -> None:
    """Replay chunk by chunk, writing progress after each; stop between chunks when cancelled."""
    sessions = app.extensions["sessions"]
    celery = app.extensions["celery"]
    replayed = 0
    try:
        for start in range(0, len(event_ids), CHUNK):
            part = event_ids[start : start + CHUNK]
            with sessions() as session:
                result = replay.replay(session, celery, part, force=force)
            replayed += len(result.replayed)
            if replay_jobs.record_progress(sessions, job_id, done=len(part)):
                replay_jobs.finish_job(sessions, job_id, status="cancelled", replayed=replayed)
                log.info("console.replay_cancelled", job_id=job_id, replayed=replayed)
                return
    except Exception as exc:
        log.exception("console.replay_failed", job_id=job_id)
        replay_jobs.finish_job(sessions, job_id, status="failed", replayed=replayed, error=type(exc).__name__)
        return
    replay_jobs.finish_job(sessions, job_id, status="finished", replayed=replayed)
    log.info("console.replay_finished", job_id=job_id, replayed=replayed, total=len(event_ids))
