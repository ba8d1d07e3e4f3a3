"""The default worker runs flows on threads: one event delivered to several threads at once runs once."""

from __future__ import annotations

from processor.queue import PROCESS_EVENT_TASK, make_celery
from tests.fixtures.servers import wait_until


def test_one_event_delivered_to_two_threads_of_one_worker_at_once_runs_its_flow_once(
    make_pipeline, signed_event
):
    pipeline = make_pipeline(store="postgres", broker="redis")
    pipeline.start_worker(pool="threads", concurrency=8)
    celery = make_celery(pipeline.settings)
    answer = pipeline.post(signed_event("test.records_run", entity_id="b-1", body={"seconds": 1.0}))
    event_id = answer.json["event_id"]

    for _ in range(2):  # besides the doorbell's own message: three deliveries of one id
        celery.send_task(PROCESS_EVENT_TASK, args=[event_id])

    done = pipeline.wait_for_status(event_id)
    wait_until(lambda: pipeline.worker.output().count("event.not_claimed") >= 2, timeout=20)
    assert done["status"] == "succeeded"
    assert pipeline.effects() == ["ran:b-1", "effect:b-1"]
    assert [a["outcome"] for a in done["attempts"]] == ["succeeded"]


def test_many_events_on_a_threads_worker_each_run_once(make_pipeline, signed_event):
    pipeline = make_pipeline(store="sqlite", broker="redis")
    pipeline.start_worker(pool="threads", concurrency=16)
    celery = make_celery(pipeline.settings)
    ids = [
        pipeline.post(signed_event("test.records_run", entity_id=f"b-{n}", body={"seconds": 0.2})).json[
            "event_id"
        ]
        for n in range(30)
    ]
    for event_id in ids:  # every event delivered twice, so threads race for each claim
        celery.send_task(PROCESS_EVENT_TASK, args=[event_id])

    for event_id in ids:
        assert pipeline.wait_for_status(event_id, timeout=60)["status"] == "succeeded"
    effects = pipeline.effects()
    assert sorted(e for e in effects if e.startswith("ran:")) == sorted(f"ran:b-{n}" for n in range(30))
    assert sorted(e for e in effects if e.startswith("effect:")) == sorted(f"effect:b-{n}" for n in range(30))
