"""A flow whose site has spent its Wix budget gives its slot back: deferred, then run, never a failure."""

from __future__ import annotations

from processor.devtools.fake_wix import FakeWix
from processor.wix.limiter import Budget
from processor.wix.redis_limits import RedisBudgets
from tests.e2e.test_flow_refunds import CANCELED, _canceled, _paid_booking


def test_a_refund_on_a_site_out_of_budget_is_deferred_then_done_without_using_an_attempt(
    flow_pipeline, fake_wix: FakeWix, signed_event
) -> None:
    pipeline = flow_pipeline(REFUND_POLICY="always", MAX_ATTEMPTS="1")  # a failure would be dead at once
    pipeline.start_worker(pool="threads", concurrency=4)
    booking = _paid_booking(fake_wix)
    # Other workers spent the site's budget for the next ~12 s (50 requests at 200/min, burst 10):
    # longer than a flow may sleep for it (MAX_WAIT_SECONDS, 10 s).
    spender = RedisBudgets(pipeline.settings.celery_broker_url)
    for _ in range(50):
        assert spender.take(f"wix-site:{fake_wix.site_id}", Budget(max_wait=60.0))[0]

    answer = pipeline.post(
        signed_event(CANCELED, entity_id=booking["id"], body=_canceled(booking), sequence=2)
    )
    done = pipeline.wait_for_status(answer.json["event_id"], timeout=90)

    outcomes = [a["outcome"] for a in done["attempts"]]
    assert done["status"] == "succeeded", done
    assert outcomes[0] == "deferred"
    assert outcomes[-1] == "succeeded"
    assert set(outcomes[:-1]) == {"deferred"}  # no failure, and MAX_ATTEMPTS=1 was not used up
    assert len(fake_wix.refunds) == 1
