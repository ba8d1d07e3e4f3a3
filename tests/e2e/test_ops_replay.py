"""Ops find dead events and replay them, from the CLI and the admin API."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.cli import run_cli

ADMIN = {"Authorization": "Bearer s3cret-admin"}


@pytest.fixture
def dead_event(make_pipeline, signed_event):
    """A pipeline whose one event died at once (permanent error), and that event's id."""
    pipeline = make_pipeline(ADMIN_TOKEN="s3cret-admin", MAX_ATTEMPTS="2")
    pipeline.start_worker()
    event_id = pipeline.post(signed_event("test.permanent")).json["event_id"]
    pipeline.wait_for_status(event_id, "dead")
    return pipeline, event_id


def test_events_list_shows_dead_events_as_json_lines(dead_event):
    pipeline, event_id = dead_event

    result = run_cli(pipeline.tmp, pipeline.env, "events", "list", "--status", "dead", "--json")

    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [event_id]
    assert set(rows[0]) >= {
        "id",
        "wix_event_id",
        "event_type",
        "source",
        "instance_id",
        "status",
        "status_reason",
        "received_at",
        "next_attempt_at",
        "payload",
        "attempts",
    }


def test_replay_from_the_cli_runs_the_event_again_and_adds_an_attempt(dead_event):
    pipeline, event_id = dead_event

    dry = run_cli(pipeline.tmp, pipeline.env, "events", "replay", "--status", "dead", "--dry-run")
    result = run_cli(pipeline.tmp, pipeline.env, "events", "replay", str(event_id))
    event = pipeline.wait_for_status(event_id, "dead")

    assert "Would replay 1 event(s)" in dry.stdout
    assert result.returncode == 0, result.stderr
    assert "Replayed 1 of 1 event(s)" in result.stdout
    assert len(event["attempts"]) == 2


def test_replay_from_the_admin_api(dead_event):
    pipeline, event_id = dead_event

    one = pipeline.client.post(f"/admin/api/events/{event_id}/replay", headers=ADMIN)
    pipeline.wait_for_status(event_id, "dead")
    dry = pipeline.client.post("/admin/api/replay", json={"status": "dead", "dry_run": True}, headers=ADMIN)
    bulk = pipeline.client.post("/admin/api/replay", json={"status": "dead"}, headers=ADMIN)
    event = pipeline.wait_for_status(event_id, "dead")
    import time

    deadline = time.monotonic() + 30
    while len(event["attempts"]) < 3 and time.monotonic() < deadline:
        event = pipeline.event(event_id)
        time.sleep(0.1)

    assert (one.status_code, one.json) == (202, {"replayed": 1})
    assert dry.json["would_replay"] == 1
    assert (bulk.status_code, bulk.json) == (202, {"replayed": 1})
    assert len(event["attempts"]) == 3


def test_a_succeeded_event_replays_only_with_force_and_its_effect_is_not_repeated(
    make_pipeline, signed_event
):
    pipeline = make_pipeline(ADMIN_TOKEN="s3cret-admin")
    pipeline.start_worker()
    event_id = pipeline.post(signed_event("test.succeeds", entity_id="once")).json["event_id"]
    pipeline.wait_for_status(event_id, "succeeded")

    refused = pipeline.client.post(f"/admin/api/events/{event_id}/replay", headers=ADMIN)
    forced = pipeline.client.post(f"/admin/api/events/{event_id}/replay?force=1", headers=ADMIN)
    from tests.fixtures.servers import wait_until

    event = wait_until(
        lambda: (e := pipeline.event(event_id))["status"] == "succeeded" and len(e["attempts"]) == 2 and e,
        timeout=30,
    )

    assert refused.status_code == 409
    assert forced.status_code == 202
    assert [a["outcome"] for a in event["attempts"]] == ["succeeded", "succeeded"]
    assert pipeline.effects() == ["effect:once"]


def test_the_admin_api_pages_newest_first_with_a_cursor(make_pipeline, signed_event):
    pipeline = make_pipeline(store="sqlite", broker="embedded", ADMIN_TOKEN="s3cret-admin")
    ids = [pipeline.post(signed_event("test.succeeds")).json["event_id"] for _ in range(5)]

    first = pipeline.client.get("/admin/api/events?limit=2", headers=ADMIN).json
    second = pipeline.client.get(
        f"/admin/api/events?limit=2&cursor={first['next_cursor']}", headers=ADMIN
    ).json
    one = pipeline.client.get(f"/admin/api/events/{ids[0]}", headers=ADMIN)

    assert [e["id"] for e in first["events"]] == ids[::-1][:2]
    assert [e["id"] for e in second["events"]] == ids[::-1][2:4]
    assert one.json["id"] == ids[0]
    assert one.json["attempts"] == []


def test_the_admin_api_wants_the_bearer_token_and_hides_when_unset(make_pipeline):
    guarded = make_pipeline(store="sqlite", broker="embedded", ADMIN_TOKEN="s3cret-admin")
    hidden = make_pipeline(store="sqlite", broker="embedded")

    assert guarded.client.get("/admin/api/events").status_code == 401
    assert (
        guarded.client.get("/admin/api/events", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert guarded.client.get("/admin/api/events", headers=ADMIN).status_code == 200
    assert hidden.client.get("/admin/api/events", headers=ADMIN).status_code == 404
