"""/healthz, /readyz and /metrics as a load balancer and Prometheus see them."""

from __future__ import annotations

import time

from sqlalchemy import text

from processor.store.db import make_engine
from processor.store.migrate import upgrade


def test_readyz_answers_200_when_store_and_broker_answer(make_pipeline):
    pipeline = make_pipeline(store="postgres", broker="redis")

    answer = pipeline.client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json["checks"] == {"store": {"status": "ok"}, "broker": {"status": "ok"}}


def test_readyz_answers_503_naming_the_store_when_postgresql_is_stopped(make_pipeline, throwaway_postgres):
    upgrade(make_engine(throwaway_postgres.url))
    pipeline = make_pipeline(store=throwaway_postgres.url, broker="redis")
    assert pipeline.client.get("/readyz").status_code == 200

    throwaway_postgres.stop()
    started = time.monotonic()
    answer = pipeline.client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json["checks"]["store"]["status"] == "failing"
    assert answer.json["checks"]["broker"]["status"] == "ok"
    assert time.monotonic() - started < 2.5


def test_the_webhook_answers_503_while_the_store_is_down_so_wix_retries(
    make_pipeline, throwaway_postgres, signed_event
):
    upgrade(make_engine(throwaway_postgres.url))
    pipeline = make_pipeline(store=throwaway_postgres.url, broker="redis")
    throwaway_postgres.stop()

    answer = pipeline.post(signed_event("test.succeeds"))

    assert answer.status_code == 503
    assert answer.json == {"error": "store_unavailable"}


def test_readyz_names_the_broker_when_redis_is_down(make_pipeline, private_redis):
    pipeline = make_pipeline(store="sqlite", broker=private_redis.url)
    private_redis.stop()

    answer = pipeline.client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json["checks"]["broker"]["status"] == "failing"
    assert answer.json["checks"]["store"]["status"] == "ok"


def test_healthz_and_metrics(make_pipeline, signed_event):
    pipeline = make_pipeline(store="sqlite", broker="embedded")
    pipeline.post(signed_event("test.succeeds"))

    assert pipeline.client.get("/healthz").status_code == 200
    metrics = pipeline.client.get("/metrics").get_data(as_text=True)
    assert 'wix_webhooks_received_total{event_type="test.succeeds",outcome="accepted"}' in metrics
    assert "wix_events{status=" in metrics
    assert "wix_events_by_type{" in metrics
    with pipeline.engine.connect() as connection:
        assert connection.execute(text("select count(*) from events")).scalar_one() == 1
