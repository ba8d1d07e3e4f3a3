"""/admin/api: list, inspect and replay events and notifications; bearer-token protected, 404 when no
token is set."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue

from processor import event_filters, replay
from processor.store import event_json, event_queries
from processor.web.context import current_celery, current_settings, db_session

bp = Blueprint("admin", __name__, url_prefix="/admin/api")
MAX_PAGE = 500
MAX_EVENT_ID = 2**63 - 1  # ids are signed 64-bit integers in the store; a larger one names no event


class BadRequestError(ValueError):
    """A query parameter or JSON field the admin API cannot take; the message names it."""


@bp.before_request
def require_admin_token() -> ResponseReturnValue | None:
    """ADMIN_TOKEN for everything, ADMIN_VIEWER_TOKEN for GETs (403 on a POST); 404 when neither is set."""
    settings = current_settings()
    if not (settings.admin_token or settings.admin_viewer_token):
        abort(404)
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    is_admin = _token_is(token, settings.admin_token)
    is_viewer = _token_is(token, settings.admin_viewer_token)
    if scheme.lower() != "bearer" or not (is_admin or is_viewer):
        return {"error": "unauthorized"}, 401
    if not is_admin and request.method != "GET":
        return {"error": "forbidden", "reason": "the viewer token is read-only"}, 403
    return None


def _token_is(given: str, expected: str | None) -> bool:
    """Constant-time comparison; an unset token matches nothing."""
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())


@bp.get("/events")
def list_events() -> ResponseReturnValue:
    """A page of events, newest first: {"events": [...], "next_cursor": …}."""
    args = request.args
    try:
        where = event_filters.make_filter(
            status=args.get("status"), event_type=args.get("type"), since=args.get("since")
        )
        limit = min(_whole_number("limit", args.get("limit", "50")), MAX_PAGE)
        cursor = _event_id_cursor(args["cursor"]) if args.get("cursor") else None
    except (event_filters.BadFilterError, BadRequestError) as exc:
        return {"error": "bad_request", "reason": str(exc)}, 400
    if limit < 1:
        return {"error": "bad_request", "reason": "limit must be at least 1"}, 400
    events, next_cursor = event_queries.page(db_session(), where, limit=limit, before_id=cursor)
    return {
        "events": [event_json.event_to_json(e) for e in events],
        "next_cursor": str(next_cursor) if next_cursor else None,
    }


@bp.get("/events/<int:event_id>")
def show_event(event_id: int) -> ResponseReturnValue:
    """One event with its payload and attempts."""
    if event_id > MAX_EVENT_ID:
        return {"error": "not_found"}, 404
    event = event_queries.get(db_session(), event_id)
    if event is None:
        return {"error": "not_found"}, 404
    return event_json.event_to_json(event)


@bp.post("/events/<int:event_id>/replay")
def replay_event(event_id: int) -> ResponseReturnValue:
    """Re-enqueue one event (`?force=1` for a succeeded one)."""
    if event_id > MAX_EVENT_ID:
        return {"error": "not_found"}, 404
    session = db_session()
    event = event_queries.get(session, event_id)
    if event is None:
        return {"error": "not_found"}, 404
    force = request.args.get("force") in ("1", "true", "yes")
    result = replay.replay(session, current_celery(), [event_id], force=force)
    if not result.replayed:
        return {
            "error": "not_replayable",
            "reason": f"event is {event.status}" + ("" if force else "; use ?force=1 for a succeeded one"),
        }, 409
    return {"replayed": len(result.replayed)}, 202


@bp.post("/replay")
def replay_matching() -> ResponseReturnValue:
    """Bulk replay by JSON filter {status, type, since, until, dry_run, force}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"error": "bad_request", "reason": "expected a JSON object filter"}, 400
    try:
        where = event_filters.make_filter(
            status=body.get("status"),
            event_type=body.get("type"),
            since=body.get("since"),
            until=body.get("until"),
        )
        dry_run, force = _json_flag(body, "dry_run"), _json_flag(body, "force")
    except (event_filters.BadFilterError, BadRequestError) as exc:
        return {"error": "bad_request", "reason": str(exc)}, 400
    if not (where.status or where.event_type or where.since or where.until):
        return {"error": "bad_request", "reason": "give at least one of status, type, since, until"}, 400
    session = db_session()
    ids = event_queries.matching_ids(session, where)
    if dry_run:
        return {"replayed": 0, "would_replay": len(ids), "dry_run": True}, 200
    result = replay.replay(session, current_celery(), ids, force=force)
    return {"replayed": len(result.replayed)}, 202


@bp.post("/notifications/<int:notification_id>/replay")
def replay_notification(notification_id: int) -> ResponseReturnValue:
    """Send a failed notification again (fresh attempt budget): 202, 404, or 409 when it is not failed."""
    lease = timedelta(seconds=current_settings().stuck_after_seconds)
    result = replay.replay_notification(
        current_app.extensions["sessions"], current_celery(), notification_id, lease=lease
    )
    if result is None:
        return {"error": "not_found"}, 404
    if not result.replayed:
        return {
            "error": "not_replayable",
            "reason": f"notification is {result.status}; only a failed one is sent again",
        }, 409
    return {"replayed": 1}, 202


def _whole_number(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequestError(f"{name}: expected a whole number, got {text[:40]!r}") from None


def _event_id_cursor(text: str) -> int:
    """A `next_cursor` we handed out: an event id, so a signed 64-bit integer."""
    cursor = _whole_number("cursor", text)
    if not -MAX_EVENT_ID - 1 <= cursor <= MAX_EVENT_ID:
        raise BadRequestError("cursor: out of range (pass back the next_cursor of the previous page)")
    return cursor


def _json_flag(body: dict[str, object], name: str) -> bool:
    """A JSON boolean, strictly: `"false"`, `0` or null are refused, not read as truthy or falsy."""
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadRequestError(f"{name}: expected true or false, got {json.dumps(value)[:40]}")
    return value
