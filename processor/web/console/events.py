"""The events list (combined filters, search, counts by status, cursor paging) and one event's page."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from processor.event_filters import SOURCES, STATUSES
from processor.store import event_effects, event_json, event_queries, sites
from processor.store.models import Event
from processor.web.console.blueprint import bp
from processor.web.console.effects import describe, describe_notification
from processor.web.console.filters import read_filter
from processor.web.console.pages import page
from processor.web.context import current_settings, short_session

PAGE_SIZE = 50
REFRESH_CHOICES = (10, 30, 60)


@bp.get("/events")
def events() -> ResponseReturnValue:
    """Newest first; several statuses at once, type, site, source, received from/to, search."""
    chosen = read_filter(request.args)
    cursor = request.args.get("cursor", "")
    before_id = int(cursor) if cursor.isdigit() else None
    refresh = request.args.get("refresh", "")
    known_sites = sites.list_sites(current_app.extensions["sessions"], current_settings())
    with short_session() as session:
        rows, next_cursor = event_queries.page(session, chosen.where, limit=PAGE_SIZE, before_id=before_id)
        counts = (
            {} if chosen.error else event_queries.count_by_status(session, chosen.where.without_statuses())
        )
        event_types = _recent_event_types(session)
    return page(
        "events.html",
        status=400 if chosen.error else 200,
        events=rows,
        next_cursor=next_cursor,
        first_page=before_id is None,
        chosen=chosen,
        counts=counts,
        statuses=STATUSES,
        sources=SOURCES,
        event_types=event_types,
        site_ids=[s.instance_id for s in known_sites],
        refresh=int(refresh) if refresh.isdigit() and int(refresh) in REFRESH_CHOICES else None,
        refresh_choices=REFRESH_CHOICES,
    )


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> ResponseReturnValue:
    """Status, reason, attempts, what it did, related events, the payload."""
    with short_session() as session:
        row = event_queries.get(session, event_id)
        if row is None:
            abort(404)
        data = event_json.event_to_json(row)
        effects = [describe(e) for e in event_effects.ledger_entries_for_event(session, event_id)]
        effects += [describe_notification(n) for n in data.get("notifications") or []]
        related = event_queries.related_events(session, row.entity_id) if row.entity_id else []
    return page(
        "event.html",
        event=data,
        effects=effects,
        notifications=data.get("notifications"),
        related=related,
        late_ids=_arrived_late(related),
        redacted=bool(data.get("payload_redacted_at")),
    )


def _arrived_late(related: list[Event]) -> set[int]:
    """Events that arrived after one later in the sequence (a `created` after its `canceled`)."""
    late: set[int] = set()
    earliest: int | None = None  # the first to arrive among the higher sequences
    for event in reversed(related):  # from the highest sequence down
        if event.entity_sequence is None:
            continue
        if earliest is not None and event.id > earliest:
            late.add(event.id)
        earliest = event.id if earliest is None else min(earliest, event.id)
    return late


def _recent_event_types(session: Any) -> list[str]:
    """Event types of the newest 1,000 events (a bounded read), for the type field's suggestions."""
    newest = select(Event.event_type).order_by(Event.id.desc()).limit(1000).subquery()
    return sorted(set(session.execute(select(newest.c.event_type)).scalars()))
