"""Fake Wix: Calendar Events V3 and Schedules V3 routes (create, read, query, update, cancel)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from processor.devtools.fake_wix_calendar_store import (
    BUSINESS_TIME_ZONE,
    WEEKDAYS,
    calendar_of,
    find_schedule,
    local_text,
    new_event,
    occurrences,
    parse_local,
    sync_schedules,
    zone_or_none,
    zoned,
)
from processor.devtools.fake_wix_core import (
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    bump_revision,
    check_revision,
    invalid_field,
    matches,
)

routes = RouteTable()
EVENTS = r"(?:/_api)?/calendar/v3/events"
EVENT = EVENTS + r"/(?P<event_id>[^/]+)"
SCHEDULES = r"(?:/_api)?/calendar/v3/schedules"
EVENT_TYPES = ("DEFAULT", "WORKING_HOURS", "APPOINTMENT", "CLASS", "COURSE")
RECURRENCE_TYPES = ("NONE", "MASTER", "INSTANCE", "EXCEPTION")
DEFAULT_RECURRENCE_TYPES = ["NONE", "INSTANCE", "EXCEPTION"]
WRITABLE = ("title", "start", "end", "timeZone", "recurrenceRule", "transparency", "resources", "allDay")


def _event_or_404(state: FakeState, event_id: str) -> JsonDict:
    event = calendar_of(state).events.get(event_id)
    if event is None:
        raise FakeWixError(404, f"event {event_id} not found", code="EVENT_NOT_FOUND")
    return event


def _view(event: JsonDict, time_zone: str | None) -> JsonDict:
    """An event as answered: adjustedStart/End in the request's (else the business's) zone."""
    tz = zone_or_none(time_zone) or zone_or_none(BUSINESS_TIME_ZONE)
    viewed = dict(event)
    for key, adjusted in (("start", "adjustedStart"), ("end", "adjustedEnd")):
        instant = datetime.fromisoformat(event[key]["utcDate"].replace("Z", "+00:00"))
        viewed[adjusted] = {"localDate": local_text(instant.astimezone(tz)), "timeZone": str(tz)}
    return viewed


def _checked(state: FakeState, event: JsonDict, current: JsonDict | None = None) -> JsonDict:
    """The event to store from a create body (or an update merged over `current`), as Wix validates it."""
    merged: JsonDict = dict(current or {})
    merged.update({k: v for k, v in event.items() if k in WRITABLE})
    schedule = find_schedule(state, str(merged.get("scheduleId") or event.get("scheduleId") or ""))
    if current is None and schedule is None:
        if not event.get("scheduleId"):
            raise invalid_field("event.scheduleId", "must not be empty")
        raise FakeWixError(404, f"schedule {event['scheduleId']} not found", code="SCHEDULE_NOT_FOUND")
    time_zone = merged.get("timeZone") or (schedule or {}).get("timeZone") or BUSINESS_TIME_ZONE
    if zone_or_none(time_zone) is None:
        raise invalid_field("event.timeZone", f"not a supported time zone: {time_zone}")
    start, end = _local_or_400(merged, "start"), _local_or_400(merged, "end")
    if end <= start:
        raise invalid_field("event.end.localDate", "end must be after start")
    if len(str(merged.get("title") or "x")) > 200:
        raise invalid_field("event.title", "max 200 characters")
    transparency = merged.get("transparency") or "OPAQUE"
    if transparency not in ("OPAQUE", "TRANSPARENT"):
        raise invalid_field("event.transparency", "OPAQUE or TRANSPARENT")
    stored = dict(merged)
    if current is None:
        kind = event.get("type") or "DEFAULT"
        if kind not in EVENT_TYPES:
            raise invalid_field("event.type", f"unknown event type {kind}")
        if event.get("recurrenceType") in ("INSTANCE", "EXCEPTION"):
            raise invalid_field("event.recurrenceType", "INSTANCE and EXCEPTION events can't be created")
        stored = {**new_event(schedule or {}, kind, start, end, time_zone), **stored}
        stored["recurrenceType"] = "MASTER" if merged.get("recurrenceRule") else "NONE"
    if stored["recurrenceType"] == "MASTER":
        stored["recurrenceRule"] = _checked_rule(merged.get("recurrenceRule"), start, time_zone, current)
    elif merged.get("recurrenceRule"):
        raise invalid_field("event.recurrenceRule", "only MASTER events recur")
    stored.update(start=zoned(start, time_zone), end=zoned(end, time_zone), timeZone=time_zone)
    stored["transparency"] = transparency
    stored["resources"] = [{"id": r["id"]} for r in merged.get("resources") or () if isinstance(r, dict)]
    return stored


def _local_or_400(event: JsonDict, key: str) -> datetime:
    local = parse_local((event.get(key) or {}).get("localDate"))
    if local is None:
        raise invalid_field(f"event.{key}.localDate", "expected a local date-time YYYY-MM-DDThh:mm:ss")
    return local


def _checked_rule(rule: Any, start: datetime, time_zone: str, current: JsonDict | None) -> JsonDict:
    if not isinstance(rule, dict) or rule.get("frequency") != "WEEKLY":
        raise invalid_field("event.recurrenceRule.frequency", "only WEEKLY is supported")
    days = rule.get("days") or []
    if len(days) != 1 or days[0] not in WEEKDAYS:
        raise invalid_field("event.recurrenceRule.days", "exactly one day per recurring event")
    if WEEKDAYS[start.weekday()] != days[0]:  # Wix API assumption #36
        raise invalid_field("event.start.localDate", f"a {days[0]} event must start on a {days[0]}")
    interval = rule.get("interval") or 1
    if not isinstance(interval, int) or not 1 <= interval <= 4:
        raise invalid_field("event.recurrenceRule.interval", "1 to 4")
    today = datetime.now(zone_or_none(time_zone)).date()
    if current is None and start.date() < today:
        raise invalid_field("event.start.localDate", "a recurring event can't start in the past")
    checked: JsonDict = {"frequency": "WEEKLY", "interval": interval, "days": list(days)}
    if rule.get("until"):
        until = parse_local(rule["until"].get("localDate"))
        if until is None or until < start:
            raise invalid_field("event.recurrenceRule.until", "a local date-time after start")
        checked["until"] = zoned(until, time_zone)
    return checked


@routes.add("POST", EVENTS)
def create_event(state: FakeState, req: FakeRequest) -> JsonDict:
    event = req.body.get("event")
    if not isinstance(event, dict):
        raise invalid_field("event", "must not be empty")
    calendar = calendar_of(state)
    key = req.body.get("idempotencyKey")
    if key and key in calendar.idempotency_keys:  # Wix API assumption #43
        return {"event": _view(calendar.events[calendar.idempotency_keys[key]], req.body.get("timeZone"))}
    stored = _checked(state, event)
    calendar.events[stored["id"]] = stored
    if key:
        calendar.idempotency_keys[key] = stored["id"]
    return {"event": _view(stored, req.body.get("timeZone"))}


@routes.add("GET", EVENT)
def get_event(state: FakeState, req: FakeRequest, event_id: str) -> JsonDict:
    return {"event": _view(_event_or_404(state, event_id), req.param("timeZone"))}


@routes.add("GET", EVENTS)
def list_events(state: FakeState, req: FakeRequest) -> JsonDict:
    wanted = req.query.get("eventIds") or []
    if not 1 <= len(wanted) <= 100:
        raise invalid_field("eventIds", "1 to 100 event ids")
    events = calendar_of(state).events
    return {"events": [_view(events[i], req.param("timeZone")) for i in wanted if i in events]}


@routes.add("PATCH", EVENT)
def update_event(state: FakeState, req: FakeRequest, event_id: str) -> JsonDict:
    current = _event_or_404(state, event_id)
    changes = req.body.get("event")
    if not isinstance(changes, dict):
        raise invalid_field("event", "must not be empty")
    check_revision(current, changes.get("revision"), "event.revision")
    if current["status"] == "CANCELLED":
        raise FakeWixError(428, "the event is cancelled", code="EVENT_CANCELLED")
    for fixed in ("scheduleId", "type"):
        if fixed in changes and changes[fixed] != current[fixed]:
            raise invalid_field(f"event.{fixed}", f"{fixed} can't be updated")
    updated = _checked(state, changes, current)
    current.clear()
    current.update(updated)
    bump_revision(current)
    return {"event": _view(current, req.body.get("timeZone"))}


@routes.add("POST", EVENT + "/cancel")
def cancel_event(state: FakeState, req: FakeRequest, event_id: str) -> JsonDict:
    event = _event_or_404(state, event_id)
    if event["status"] == "CANCELLED":  # Wix API assumption #39: the one documented 428
        raise FakeWixError(428, "the event is already cancelled", code="EVENT_ALREADY_CANCELLED")
    event["status"] = "CANCELLED"
    bump_revision(event)
    return {"event": _view(event, req.body.get("timeZone"))}


def _names_working_hours(query_filter: JsonDict) -> bool:
    """WORKING_HOURS events show only when the filter asks for that type (assumption #32)."""
    condition = query_filter.get("type")
    if isinstance(condition, dict):
        values = [condition.get("$eq"), *(condition.get("$in") or ())]
    else:
        values = [condition]
    nested = [f for f in query_filter.get("$and") or () if isinstance(f, dict)]
    return "WORKING_HOURS" in values or any(_names_working_hours(f) for f in nested)


def _instances(master: JsonDict, lo: datetime, hi: datetime) -> list[JsonDict]:
    tz = zone_or_none(master["timeZone"])
    found = []
    for first, last in occurrences(master, lo, hi):
        local_first, local_last = first.astimezone(tz).replace(tzinfo=None), last.astimezone(tz)
        instance = {k: v for k, v in master.items() if k != "recurrenceRule"}
        instance.update(
            id=f"{master['id'].replace('-', '')}{local_first:%Y%m%d%H%M}",
            recurrenceType="INSTANCE",
            recurringEventId=master["id"],
            start=zoned(local_first, master["timeZone"]),
            end=zoned(local_last.replace(tzinfo=None), master["timeZone"]),
            inheritedFields=["TITLE", "TIME_ZONE", "TIME", "LOCATION", "RESOURCES"],
        )
        found.append(instance)
    return found


def _query_events(state: FakeState, params: JsonDict) -> list[JsonDict]:
    query_filter = params.get("filter") or {}
    kinds = params.get("recurrenceType") or DEFAULT_RECURRENCE_TYPES
    if not isinstance(kinds, list) or any(k not in RECURRENCE_TYPES for k in kinds):
        raise invalid_field("recurrenceType", f"any of {', '.join(RECURRENCE_TYPES)}")
    tz = zone_or_none(params.get("timeZone") or BUSINESS_TIME_ZONE)
    if tz is None:
        raise invalid_field("timeZone", "not a supported time zone")
    bounds = []
    for key in ("fromLocalDate", "toLocalDate"):
        value = params.get(key)
        local = parse_local(value) if value else None
        if value and local is None:
            raise invalid_field(key, "expected a local date-time YYYY-MM-DDThh:mm:ss")
        bounds.append(local.replace(tzinfo=tz) if local else None)
    lo = bounds[0] or datetime(1970, 1, 1, tzinfo=UTC)
    hi = bounds[1] or datetime(2100, 1, 1, tzinfo=UTC)
    if lo >= hi:
        raise invalid_field("toLocalDate", "must be after fromLocalDate")
    candidates = []
    for event in calendar_of(state).events.values():
        if event["recurrenceType"] == "MASTER" and "INSTANCE" in kinds and bounds[0] and bounds[1]:
            candidates.extend(_instances(event, lo, hi))
        # a MASTER matches whatever the range (assumption #47); others when they overlap it
        if event["recurrenceType"] in kinds and (
            event["recurrenceType"] == "MASTER" or occurrences(event, lo, hi)
        ):
            candidates.append(event)
    if not _names_working_hours(query_filter):
        candidates = [e for e in candidates if e["type"] != "WORKING_HOURS"]
    found = [e for e in candidates if matches(e, query_filter)]
    return sorted(found, key=lambda e: e["start"]["utcDate"])


@routes.add("POST", EVENTS + "/query")
def query_events(state: FakeState, req: FakeRequest) -> JsonDict:
    query = req.body.get("query") or {}
    paging = query.get("cursorPaging") or {}
    calendar = calendar_of(state)
    if paging.get("cursor"):
        saved = calendar.cursors.get(paging["cursor"])
        if saved is None:
            raise invalid_field("query.cursorPaging.cursor", "unknown or expired cursor")
        params, offset = saved["params"], saved["offset"]
    else:
        params = {k: v for k, v in req.body.items() if k != "query"}
        params["filter"], offset = query.get("filter") or {}, 0
    limit = min(int(paging.get("limit") or 50), 1000)
    found = _query_events(state, params)
    page = found[offset : offset + limit]
    token = None
    if offset + limit < len(found):
        token = secrets.token_urlsafe(12)
        calendar.cursors[token] = {"params": params, "offset": offset + limit}
    metadata = {"count": len(page), "cursors": {"next": token}, "hasNext": token is not None}
    return {"events": [_view(e, params.get("timeZone")) for e in page], "pagingMetadata": metadata}


@routes.add("POST", SCHEDULES + "/query")
def query_schedules(state: FakeState, req: FakeRequest) -> JsonDict:
    query = req.body.get("query") or {}
    query_filter = query.get("filter") or {}
    if "status" not in query_filter:
        query_filter = {**query_filter, "status": "ACTIVE"}
    limit = min(int((query.get("cursorPaging") or {}).get("limit") or 50), 100)
    sync_schedules(state)
    found = [s for s in calendar_of(state).schedules.values() if matches(s, query_filter)][:limit]
    return {"schedules": found, "pagingMetadata": {"count": len(found), "cursors": {}, "hasNext": False}}


@routes.add("GET", SCHEDULES + r"/(?P<schedule_id>[^/]+)")
def get_schedule(state: FakeState, req: FakeRequest, schedule_id: str) -> JsonDict:
    schedule = find_schedule(state, schedule_id)
    if schedule is None:
        raise FakeWixError(404, f"schedule {schedule_id} not found", code="SCHEDULE_NOT_FOUND")
    return {"schedule": schedule}
