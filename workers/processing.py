"""run(): claim an event, dispatch it to its flow, record the attempt and what comes next."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog
from structlog.contextvars import bound_contextvars

from processor import deadline
from processor.queue import soft_time_limit_seconds
from processor.store import inbox
from processor.store.claim_sql import LOST_REASON
from processor.store.db import autocommit_session
from processor.store.models import EventStatus
from processor.wix.limiter import BudgetDeferred
from processor.wix_event import WixEvent
from workers import delivery, privacy_requests, retry_policy
from workers.flows.registry import Skipped, flow_for
from workers.wiring import Deps, bind

log = structlog.get_logger(__name__)
NO_FLOW = "no flow for this event type"
DEFERRED = "deferred"


def run(event_id: int, deps: Deps) -> str | None:
    """Process one event once; return the outcome, or None when it was not ours to run."""
    claimed = _claim(deps, [event_id])
    if not claimed.claims:
        if not claimed.gave_up:
            log.info("event.not_claimed", event_id=event_id)
        return None
    claim = claimed.claims[0]
    assert claim.event is not None
    event = claim.event
    with bound_contextvars(event_id=event_id, event_type=event.event_type, attempt=claim.attempt_number):
        started = time.monotonic()
        # Under the threads pool nothing else stops an attempt at the time limit (processor/deadline.py).
        with deadline.running_until(soft_time_limit_seconds(deps.settings)):
            dispatched = _dispatch(event, event_id, deps, claim.failures_so_far)
            status, outcome, reason, next_at = privacy_requests.honour(
                event, event_id, deps, dispatched, claim.failures_so_far
            )
        elapsed = time.monotonic() - started
        if outcome == DEFERRED:
            return _defer(deps, claim, reason or "", next_at or deps.clock())
        with deps.sessions() as session:  # on PostgreSQL one statement on the driver, by itself
            finished = inbox.finish(
                session,
                claim,
                status=status,
                outcome=outcome,
                reason=reason,
                next_attempt_at=next_at,
                now=deps.clock(),
            )
        log.info(
            "event.processed",
            outcome=outcome,
            reason=reason,
            seconds=round(elapsed, 4),
            next_attempt_at=next_at.isoformat() if next_at else None,
            recorded=finished,
        )
        if status is EventStatus.DEAD and finished:
            _alert_dead(deps, claim, event, reason or "")
        delivery.deliver_recorded(deps, event_id)  # the attempt's emails and alerts, its outcome written
        return outcome


def run_many(event_ids: Sequence[int], deps: Deps) -> list[int]:
    """Process a batch from the doorbell: events no flow handles are claimed and finished `ignored`
    together (one claim and one finish statement for all of them); return the ids that have a flow,
    for the caller to hand out one by one, so parallel workers share the flows' work."""
    with autocommit_session(deps.sessions) as session:
        types = inbox.claimable_types(session, event_ids)
    with_flow = [i for i in event_ids if i in types and flow_for(types[i]) is not None]
    without = [i for i in event_ids if i in types and flow_for(types[i]) is None]
    if without:
        claimed = _claim(deps, without)
        now = deps.clock()
        ended = [inbox.Finished(c, EventStatus.IGNORED, "ignored", NO_FLOW) for c in claimed.claims]
        with deps.sessions() as session:  # on PostgreSQL one statement on the driver, by itself
            recorded = inbox.finish_many(session, ended, now=now)
        log.info(
            "events.processed",
            outcome="ignored",
            reason=NO_FLOW,
            count=len(recorded),
            not_claimed=len(without) - len(claimed.claims) - len(claimed.gave_up),
        )
    return with_flow


def run_batch(event_ids: Sequence[int], deps: Deps, hand_out: Callable[[int], object]) -> int:
    """A doorbell's batch: `run_many`, then of the events with a flow every one but the first goes to
    `hand_out` (a `process_event` message each, so parallel workers share them) and the first runs
    here, in this task: a message fewer per batch (a publish, a consume and an ack; under a burst
    one batch in four or five held a single flow). Returns how many events had a flow."""
    with_flow = run_many(event_ids, deps)
    for event_id in with_flow[1:]:
        hand_out(event_id)
    if with_flow:
        with bound_contextvars(event_id=with_flow[0]):
            run(with_flow[0], deps)
    return len(with_flow)


def _claim(deps: Deps, event_ids: Sequence[int]) -> inbox.Claimed:
    """Claim the events (see inbox.claim_many); each one it gave up on is dead now: tell ops once."""
    settings = deps.settings
    with deps.sessions() as session:  # on PostgreSQL one statement on the driver, by itself
        claimed = inbox.claim_many(
            session,
            event_ids,
            stuck_after=timedelta(seconds=settings.stuck_after_seconds),
            max_attempts=settings.max_attempts,
            worker=deps.worker_name,
            now=deps.clock(),
        )
    for lost in claimed.gave_up:
        _alert_lost_every_attempt(deps, lost)
    return claimed


def _dispatch(
    event: WixEvent, event_id: int, deps: Deps, failures_before: int
) -> tuple[EventStatus, str, str | None, datetime | None]:
    flow = flow_for(event.event_type)
    if flow is None:
        return EventStatus.IGNORED, "ignored", NO_FLOW, None
    try:
        result = flow(event, **bind(flow, deps, event, event_id))
    except BudgetDeferred as exc:  # the site's Wix budget is spent: give the slot back, come back later
        retry_in = exc.retry_in * random.uniform(1.0, 2.0)  # spread, so deferred flows do not return together
        return EventStatus.QUEUED, DEFERRED, str(exc), deps.clock() + timedelta(seconds=retry_in)
    except Exception as exc:
        decision = retry_policy.decide(exc, failures=failures_before + 1, settings=deps.settings)
        log.warning("flow.failed", error=decision.reason, permanent=decision.is_dead)
        if decision.retry_in is None:
            return EventStatus.DEAD, "dead", decision.reason, None
        next_at = deps.clock() + timedelta(seconds=decision.retry_in)
        return EventStatus.FAILED, "failed", decision.reason, next_at
    if isinstance(result, Skipped):
        return EventStatus.SKIPPED, "skipped", result.reason, None
    return EventStatus.SUCCEEDED, "succeeded", getattr(result, "detail", None), None


def _defer(deps: Deps, claimed: inbox.Claim, reason: str, until: datetime) -> str:
    """Neither a failure nor a used attempt: queued again, published for `until`."""
    with deps.sessions() as session:
        deferred = inbox.defer(session, claimed, until, reason=reason, now=deps.clock())
    log.info("event.deferred", reason=reason, until=until.isoformat(), recorded=deferred)
    if deferred:
        delay = max(0.0, (until - deps.clock()).total_seconds())
        deps.publish_later(claimed.event_id, delay)
    delivery.deliver_recorded(deps, claimed.event_id)  # what the attempt recorded before it stopped
    return DEFERRED


def _alert_lost_every_attempt(deps: Deps, lost: inbox.GaveUp) -> None:
    """An event whose every attempt lost its worker: its dead alert, recorded and sent."""
    log.error("event.dead", event_id=lost.event_id, reason=LOST_REASON, attempts=lost.attempts)
    reason = f"{LOST_REASON} ({lost.attempts} attempts)"
    _record_dead_alert(deps, lost.event_id, lost.event_type, lost.entity_id, reason, lost.attempts)
    delivery.deliver_recorded(deps, lost.event_id)


def _alert_dead(deps: Deps, claim: inbox.Claim, event: WixEvent, reason: str) -> None:
    """An event its last attempt left dead: its alert, recorded (the attempt's delivery sends it)."""
    log.error("event.dead", reason=reason)
    _record_dead_alert(deps, claim.event_id, event.event_type, event.entity_id, reason, claim.attempt_number)


def _record_dead_alert(
    deps: Deps, event_id: int, event_type: str, entity_id: str | None, reason: str, attempts: int
) -> None:
    """Record the `event.dead` ops alert in the outbox, once per death: the key names the attempt
    count, so a replay that dies again alerts again. Delivery posts it and retries it while the
    webhook is down, as every alert (it used to be posted here once, and lost with a failed post)."""
    try:
        deps.outbox(event_id).alert(
            f"ops:event_dead:{event_id}:{attempts}",
            "event.dead",
            f"Event {event_id} ({event_type}) is dead: {reason}",
            {"event_id": str(event_id), "event_type": event_type, "entity_id": entity_id or "-"},
        )
    except Exception as exc:  # the store failed: the event is dead all the same, the log line says so
        log.warning("ops.alert_failed", event_id=event_id, error=type(exc).__name__)
