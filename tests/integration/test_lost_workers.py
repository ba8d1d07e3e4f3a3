"""An event whose processing kills its worker every time ends `dead`, and ops hears of it once."""

from __future__ import annotations

from datetime import timedelta

from processor.store import inbox


def _claimed_and_lost(runner, event_id: int, *, times: int) -> None:
    """`times` workers claim the event and die before finishing (no exception path runs)."""
    settings = runner.deps.settings
    for _ in range(times):
        with runner.sessions() as session:
            claim = inbox.claim(
                session,
                event_id,
                stuck_after=timedelta(seconds=settings.stuck_after_seconds),
                max_attempts=settings.max_attempts,
                now=runner.deps.clock(),
            )
        assert claim is not None
        _later(runner, settings.stuck_after_seconds + 1)  # the sweep would re-queue it now


def _later(runner, seconds: float) -> None:
    now = runner.deps.clock()
    runner.deps.clock = lambda: now + timedelta(seconds=seconds)


def test_the_claim_after_the_last_lost_attempt_makes_the_event_dead_and_alerts_ops_once(
    flow_runner, ops_hook
) -> None:
    runner = flow_runner(MAX_ATTEMPTS="2", STUCK_AFTER_SECONDS="5", TASK_TIME_LIMIT_SECONDS="4")
    event_id, _ = runner.event("wix.bookings.v2.booking_canceled", entity_id="b-lost")
    _claimed_and_lost(runner, event_id, times=2)

    outcome = runner.process(event_id)  # the third claim: no attempt left
    again = runner.process(event_id)  # a late duplicate message: nothing to claim, no second alert
    runner.deliver(event_id)

    assert (outcome, again) == (None, None)
    shown = runner.shown(event_id)
    assert (shown["status"], shown["status_reason"]) == ("dead", "worker lost on every attempt")
    assert [a["outcome"] for a in shown["attempts"]] == ["abandoned", "abandoned"]
    assert [(n["kind"], n["status"]) for n in shown["notifications"]] == [("event.dead", "sent")]
    (post,) = ops_hook.wait_for(1)
    assert post["text"].startswith("[event.dead]")
    assert "worker lost on every attempt" in post["text"]
