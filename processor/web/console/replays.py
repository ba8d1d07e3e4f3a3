"""Console replays: one event (a succeeded one only after "run again"), or many in a background job."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from processor import replay
from processor.store import attention, event_effects, event_queries, replay_jobs
from processor.store.db import utcnow
from processor.store.event_queries import EventFilter
from processor.store.requeue import REPLAYABLE
from processor.web.console.blueprint import bp
from processor.web.console.effects import describe
from processor.web.console.filters import read_filter
from processor.web.console.jobs import start_replay_job
from processor.web.console.pages import error_page, page
from processor.web.context import current_celery, short_session

# One bulk replay takes at most this many events (oldest first); the page says so before it runs.
BULK_CAP = 10_000
REPLAYABLE_NOW = tuple(s.value for s in REPLAYABLE)
NEEDS_FILTER = "Bulk replay needs at least one filter (a status, type, site, time or search)."


@bp.post("/events/<int:event_id>/replay")
def replay_event(event_id: int) -> ResponseReturnValue:
    """Replay one event; a succeeded one goes to the "run again" page first."""
    confirmed = request.form.get("run_again") == "yes"
    with current_app.extensions["sessions"]() as session:  # replay commits on its own
        event = event_queries.get(session, event_id)
        if event is None:
            abort(404)
        if event.status == "succeeded" and not confirmed:
            return redirect(url_for("console.run_again", event_id=event_id), code=303)
        result = replay.replay(session, current_celery(), [event_id], force=confirmed)
    if result.replayed:
        flash(f"Event {event_id} is queued again.", "ok")
    else:
        flash(f"Event {event_id} was not replayed: it is {event.status}.", "problem")
    return redirect(url_for("console.event", event_id=event_id), code=303)


@bp.get("/events/<int:event_id>/run-again")
def run_again(event_id: int) -> ResponseReturnValue:
    """Confirm running a succeeded event again, naming what the ledger will still prevent."""
    with short_session() as session:
        event = event_queries.get(session, event_id)
        if event is None:
            abort(404)
        effects = [describe(e) for e in event_effects.ledger_entries_for_event(session, event_id)]
    return page("run_again.html", event=event, effects=[e for e in effects if e.state == "done"])


@dataclass(frozen=True)
class Selection:
    """The events a bulk replay means: a list filter, or one failure group of "needs attention"."""

    description: str
    fields: list[tuple[str, str]]
    where: EventFilter | None = None
    group_ids: tuple[int, ...] = ()


def _selection(session: Session, form: dict[str, list[str]]) -> Selection | None:
    group_type = (form.get("group_type") or [""])[0]
    if group_type:
        group_error = (form.get("group_error") or [""])[0]
        groups, _ = attention.failure_groups(session)
        found = next((g for g in groups if (g.event_type, g.error) == (group_type, group_error)), None)
        fields = [("group_type", group_type), ("group_error", group_error)]
        return Selection(
            f"{group_type} events failing with “{group_error}”",
            fields,
            None,
            tuple(found.ids if found else ()),
        )
    from werkzeug.datastructures import MultiDict

    chosen = read_filter(MultiDict([(k, v) for k, values in form.items() for v in values]))
    if chosen.error or chosen.is_empty:
        return None
    fields = [(k, v) for k, values in form.items() if k != "csrf_token" and k != "force" for v in values if v]
    return Selection(f"Events where {_describe(chosen.words)}", fields, chosen.where)


def _describe(words: dict[str, Any]) -> str:
    """The filter in words: `status dead or failed, type …, received since 2h`."""
    labels = {
        "type": "type",
        "site": "site",
        "source": "source",
        "since": "received from",
        "until": "to",
        "q": "matching",
    }
    parts = [f"status {' or '.join(words['status'])}"] if words.get("status") else []
    parts += [f"{label} {words[name]}" for name, label in labels.items() if words.get(name)]
    return ", ".join(parts)


def _counts(session: Session, selection: Selection) -> dict[str, int]:
    if selection.where is None:
        return {"dead or failed": len(selection.group_ids)}
    return event_queries.count_by_status(session, selection.where)


def _replayable(where: EventFilter, *, force: bool) -> EventFilter:
    """The filter narrowed to the statuses a replay takes (succeeded ones only with force)."""
    allowed = set(REPLAYABLE_NOW) | ({"succeeded"} if force else set())
    chosen = set(where.statuses) or allowed
    return dataclasses.replace(where, statuses=tuple(sorted(chosen & allowed)) or ("__none__",))


def _runnable(session: Session, selection: Selection, *, force: bool) -> int:
    """How many events a replay would take, before the cap."""
    if selection.where is None:
        return len(selection.group_ids)
    return event_queries.count_matching(session, _replayable(selection.where, force=force))


def _ids(session: Session, selection: Selection, *, force: bool) -> list[int]:
    """The ids a replay takes now, oldest first, at most BULK_CAP."""
    if selection.where is None:
        return list(selection.group_ids[:BULK_CAP])
    return event_queries.matching_ids(session, _replayable(selection.where, force=force), limit=BULK_CAP)


@bp.get("/replay")
def bulk_dry_run() -> ResponseReturnValue:
    """The exact count first: how many match, how many will run, what the cap is."""
    with short_session() as session:
        selection = _selection(session, request.args.to_dict(flat=False))
        if selection is None:
            return error_page(400, "Choose a filter first", NEEDS_FILTER)
        counts = _counts(session, selection)
        runnable = _runnable(session, selection, force=False)
        with_force = _runnable(session, selection, force=True) if counts.get("succeeded") else runnable
    return page(
        "bulk_confirm.html",
        selection=selection,
        counts=counts,
        matching=sum(counts.values()),
        runnable=runnable,
        with_force=with_force,
        succeeded=counts.get("succeeded", 0),
        pending=counts.get("queued", 0) + counts.get("processing", 0),
        cap=BULK_CAP,
    )


@bp.post("/replay")
def bulk_start() -> ResponseReturnValue:
    """Start the background job on the events the dry run counted (recomputed now, capped)."""
    force = request.form.get("force") == "yes"
    with current_app.extensions["sessions"]() as session:
        selection = _selection(session, request.form.to_dict(flat=False))
        if selection is None:
            abort(400)
        ids = _ids(session, selection, force=force)
        job_id = replay_jobs.create_job(
            session, description=selection.description, total=len(ids), force=force
        )
    start_replay_job(current_app._get_current_object(), job_id, ids, force=force)  # type: ignore[attr-defined]
    return redirect(url_for("console.job", job_id=job_id), code=303)


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> ResponseReturnValue:
    """A bulk replay's progress (the page refreshes itself while it runs)."""
    with short_session() as session:
        found = replay_jobs.get_job(session, job_id)
    if found is None:
        abort(404)
    return page("job.html", job=found, stale=replay_jobs.is_stale(found, utcnow()))


@bp.post("/jobs/<int:job_id>/cancel")
def cancel_job(job_id: int) -> ResponseReturnValue:
    """Stop a running job after its current chunk."""
    with current_app.extensions["sessions"]() as session:
        cancelled = replay_jobs.request_cancel(session, job_id)
    if not cancelled:
        flash("That job is not running.", "problem")
    return redirect(url_for("console.job", job_id=job_id), code=303)
