"""One event's whole path: signed webhook over HTTP → store → broker → real Celery worker → outcome."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest

from tests.fixtures.servers import wait_until


@pytest.mark.parametrize(
    ("store", "broker"), [("postgres", "redis"), ("sqlite", "embedded")], ids=["production", "embedded"]
)
def test_a_signed_event_reaches_succeeded_through_a_real_worker(make_pipeline, signed_event, store, broker):
    pipeline = make_pipeline(store=store, broker=broker)
    pipeline.start_worker()

    answer = pipeline.post(signed_event("test.succeeds", entity_id="e-1"))
    event = pipeline.wait_for_status(answer.json["event_id"])

    assert event["status"] == "succeeded"
    assert [a["outcome"] for a in event["attempts"]] == ["succeeded"]
    assert pipeline.effects() == ["effect:e-1"]
    metrics = pipeline.client.get("/metrics").get_data(as_text=True)
    assert 'wix_event_processing_seconds_count{event_type="test.succeeds",outcome="succeeded"} 1.0' in metrics


def test_an_event_type_without_a_flow_ends_ignored(make_pipeline, signed_event):
    pipeline = make_pipeline()
    pipeline.start_worker()

    answer = pipeline.post(signed_event("wix.bookings.v2.booking_number_of_participants_updated"))
    event = pipeline.wait_for_status(answer.json["event_id"])

    assert event["status"] == "ignored"
    assert event["status_reason"] == "no flow for this event type"
    assert len(event["attempts"]) == 1


def test_duplicates_delivered_one_after_another_are_processed_once(make_pipeline, signed_event):
    pipeline = make_pipeline()
    pipeline.start_worker()
    token = signed_event("test.succeeds", entity_id="dup-1")

    answers = [pipeline.post(token) for _ in range(3)]
    event = pipeline.wait_for_status(answers[0].json["event_id"])

    assert [a.json["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    assert {a.json["event_id"] for a in answers} == {event["id"]}
    assert len(event["attempts"]) == 1
    assert pipeline.effects() == ["effect:dup-1"]


def test_duplicates_racing_each_other_are_stored_and_processed_once(make_pipeline, signed_event):
    pipeline = make_pipeline()
    pipeline.start_worker()
    token = signed_event("test.succeeds", entity_id="race-1")
    barrier = threading.Barrier(8)
    answers: list[dict] = []

    def deliver() -> None:
        client = pipeline.app.test_client()
        barrier.wait()
        response = client.post("/webhooks/wix", data=token, content_type="text/plain")
        answers.append({"code": response.status_code, **response.json})

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event = pipeline.wait_for_status(answers[0]["event_id"])

    assert all(a["code"] == 200 for a in answers)
    assert sorted(a["status"] for a in answers) == ["accepted"] + ["duplicate"] * 7
    assert {a["event_id"] for a in answers} == {event["id"]}
    assert len(event["attempts"]) == 1
    assert pipeline.effects() == ["effect:race-1"]


def test_a_flow_that_always_fails_is_dead_after_max_attempts_with_every_attempt_recorded(
    make_pipeline, signed_event, ops_hook
):
    pipeline = make_pipeline(MAX_ATTEMPTS="3", OPS_WEBHOOK_URL=ops_hook.url)
    pipeline.start_worker(beat=True)

    answer = pipeline.post(signed_event("test.fails_always"))
    event = pipeline.wait_for_status(answer.json["event_id"], "dead", timeout=60)

    assert [a["outcome"] for a in event["attempts"]] == ["failed", "failed", "dead"]
    assert all("this flow always fails" in a["error"] for a in event["attempts"])
    assert all(a["finished_at"] for a in event["attempts"])
    assert "gave up after 3 attempts" in event["status_reason"]
    ops_hook.wait_for(1)
    assert f"Event {event['id']}" in ops_hook.posts[0]["text"]


def test_a_permanent_error_is_dead_at_once(make_pipeline, signed_event):
    pipeline = make_pipeline(MAX_ATTEMPTS="5")
    pipeline.start_worker()

    answer = pipeline.post(signed_event("test.permanent"))
    event = pipeline.wait_for_status(answer.json["event_id"], "dead")

    assert [a["outcome"] for a in event["attempts"]] == ["dead"]
    assert "INVALID_ARGUMENT" in event["status_reason"]


def test_a_flow_retry_after_hint_sets_the_next_attempt(make_pipeline, signed_event):
    pipeline = make_pipeline(RETRY_MAX_SECONDS="2")
    pipeline.start_worker()

    answer = pipeline.post(signed_event("test.retry_after", body={"seconds": 3600}))
    event = pipeline.wait_for_status(answer.json["event_id"], "failed")

    from datetime import datetime

    waited = datetime.fromisoformat(event["next_attempt_at"]) - datetime.fromisoformat(
        event["attempts"][0]["finished_at"]
    )
    assert waited.total_seconds() >= 3599


def test_an_event_received_while_the_broker_is_down_is_recovered_by_the_sweep(
    make_pipeline, signed_event, private_redis
):
    pipeline = make_pipeline(broker=private_redis.url)
    private_redis.stop()

    answer = pipeline.post(signed_event("test.succeeds", entity_id="offline-1"))
    assert answer.status_code == 200
    assert pipeline.event(answer.json["event_id"])["status"] == "received"

    private_redis.start()
    pipeline.start_worker(beat=True)
    event = pipeline.wait_for_status(answer.json["event_id"], timeout=60)

    assert event["status"] == "succeeded"
    assert pipeline.effects() == ["effect:offline-1"]


def test_a_worker_killed_mid_flow_does_not_lose_the_event(make_pipeline, signed_event):
    pipeline = make_pipeline(STUCK_AFTER_SECONDS="5", TASK_TIME_LIMIT_SECONDS="4")
    doomed = pipeline.start_worker(concurrency=1, name="doomed")
    entity = f"slow-{uuid.uuid4().hex[:6]}"

    answer = pipeline.post(signed_event("test.slow", entity_id=entity, body={"seconds": 30}))
    wait_until(lambda: f"started:{entity}" in pipeline.effects(), timeout=30, message="flow never started")
    doomed.send_signal(signal.SIGKILL)
    wait_until(lambda: not doomed.alive(), timeout=10)
    pipeline.start_worker(name="survivor")
    pipeline.start_beat()  # its sweep finds the stuck event
    event = pipeline.wait_for_status(answer.json["event_id"], timeout=60)

    assert event["status"] == "succeeded"
    assert event["attempts"][0]["outcome"] == "abandoned"
    assert pipeline.effects().count(f"effect:{entity}") == 1


def test_an_event_that_kills_its_worker_every_time_ends_dead_and_ops_hears_of_it_once(
    make_pipeline, signed_event, ops_hook
):
    pipeline = make_pipeline(
        MAX_ATTEMPTS="2",
        TASK_TIME_LIMIT_SECONDS="1",
        STUCK_AFTER_SECONDS="2",
        OPS_WEBHOOK_URL=ops_hook.url,
    )
    pipeline.start_worker(beat=True)  # prefork: the pool replaces each killed process

    answer = pipeline.post(signed_event("test.kills_worker", entity_id="doomed"))
    event = pipeline.wait_for_status(answer.json["event_id"], "dead", timeout=60)

    assert event["status_reason"] == "worker lost on every attempt"
    assert [a["outcome"] for a in event["attempts"]] == ["abandoned", "abandoned"]
    assert pipeline.effects() == ["killed:doomed", "killed:doomed"]
    (post,) = ops_hook.wait_for(1)
    assert "worker lost on every attempt" in post["text"]
    time.sleep(3)  # a sweep or two more: no second alert follows
    assert len(ops_hook.posts) == 1


def test_a_flow_on_the_threads_pool_stops_at_the_time_limit_instead_of_outliving_its_lease(
    make_pipeline, signed_event
):
    # Celery's threads pool enforces no time limit; the attempt's deadline does (processor/deadline.py).
    # Without it this flow runs for ever, the sweep re-claims it after STUCK_AFTER_SECONDS while it
    # is still alive, and the ledger hands its pending keys to a second, concurrent run.
    pipeline = make_pipeline(MAX_ATTEMPTS="1", TASK_TIME_LIMIT_SECONDS="2", STUCK_AFTER_SECONDS="3")
    pipeline.start_worker(beat=True, pool="threads", concurrency=4)

    answer = pipeline.post(signed_event("test.keeps_calling", entity_id="endless"))
    event = pipeline.wait_for_status(answer.json["event_id"], "dead", timeout=60)

    assert "ran out of time" in event["status_reason"]
    assert [a["outcome"] for a in event["attempts"]] == ["dead"]  # never abandoned nor re-claimed
    assert pipeline.effects() == ["calling:endless"]
