"""Bulk replays started from the console: one row each, so progress and cancel reach every web process."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from processor.store.db import Sessions, session_scope, utcnow
from processor.store.models import ReplayJob

# A running job writes its progress after every chunk; one silent for longer lost its process.
STALE_AFTER = timedelta(seconds=120)


def create_job(session: Session, *, description: str, total: int, force: bool) -> int:
    """Record a new running job; its id."""
    now = utcnow()
    job = ReplayJob(
        description=description,
        status="running",
        total=total,
        done=0,
        replayed=0,
        force=force,
        cancel_requested=False,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.commit()
    return job.id


def get_job(session: Session, job_id: int) -> ReplayJob | None:
    """One job."""
    return session.get(ReplayJob, job_id)


def recent_jobs(session: Session, *, limit: int = 10) -> list[ReplayJob]:
    """The newest jobs."""
    return list(session.execute(select(ReplayJob).order_by(ReplayJob.id.desc()).limit(limit)).scalars())


def record_progress(sessions: Sessions, job_id: int, *, done: int) -> bool:
    """Add to a job's progress; True when someone asked to cancel it."""
    with session_scope(sessions) as session:
        session.execute(
            update(ReplayJob)
            .where(ReplayJob.id == job_id)
            .values(done=ReplayJob.done + done, updated_at=utcnow())
        )
        cancel = session.execute(
            select(ReplayJob.cancel_requested).where(ReplayJob.id == job_id)
        ).scalar_one()
    return bool(cancel)


def finish_job(
    sessions: Sessions, job_id: int, *, status: str, replayed: int | None = None, error: str | None = None
) -> None:
    """Close a job as finished, cancelled or failed."""
    values: dict[str, object] = {"status": status, "updated_at": utcnow(), "finished_at": utcnow()}
    if replayed is not None:
        values["replayed"] = replayed
    if error is not None:
        values["error"] = error
    with session_scope(sessions) as session:
        session.execute(update(ReplayJob).where(ReplayJob.id == job_id).values(**values))


def request_cancel(session: Session, job_id: int) -> bool:
    """Ask a running job to stop after its current chunk; False when it is not running."""
    result = session.execute(
        update(ReplayJob)
        .where(ReplayJob.id == job_id, ReplayJob.status == "running")
        .values(cancel_requested=True, updated_at=utcnow())
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_stale(job: ReplayJob, now: datetime) -> bool:
    """A running job whose process stopped writing progress (it died with its web process)."""
    return job.status == "running" and now - job.updated_at > STALE_AFTER
