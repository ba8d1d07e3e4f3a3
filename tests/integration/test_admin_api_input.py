"""/admin/api with input it did not expect: ids and cursors past 64 bits, filters and flags of the
wrong JSON type, and a bulk replay of 100,000 events. Every answer is a JSON 2xx or 4xx, never 5xx."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from processor.store.models import Event

ADMIN = {"Authorization": "Bearer s3cret-admin"}
BEYOND_64_BITS = "99999999999999999999"


@pytest.fixture(params=["sqlite", "postgres"])
def admin(request, make_pipeline):
    """The receiver with the admin API on, on each store (embedded broker: nothing is processed)."""
    return make_pipeline(store=request.param, broker="embedded", ADMIN_TOKEN="s3cret-admin")


def _dead_events(pipeline, count: int) -> None:
    """`count` dead events, inserted in one statement (as a big outage would leave them)."""
    now = datetime.now(UTC)
    rows = [
        {
            "wix_event_id": f"bulk-{n}",
            "event_type": "test.permanent",
            "source": "wix",
            "status": "dead",
            "status_reason": "test",
            "payload": {"eventType": "test.permanent", "data": {}},
            "received_at": now,
            "updated_at": now,
            "attempt_count": 1,
            "replay_base": 0,
        }
        for n in range(count)
    ]
    with pipeline.sessions() as session:
        session.execute(insert(Event), rows)
        session.commit()


def _statuses(pipeline) -> dict[str, int]:
    with pipeline.sessions() as session:
        rows = session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
    return {status: count for status, count in rows}


@pytest.mark.parametrize(
    "path",
    [f"/admin/api/events/{BEYOND_64_BITS}", f"/admin/api/events/{2**63}"],
)
def test_an_event_id_beyond_64_bits_is_not_found(admin, path):
    answer = admin.client.get(path, headers=ADMIN)

    assert answer.status_code == 404
    assert answer.json == {"error": "not_found"}


def test_replaying_an_event_id_beyond_64_bits_is_not_found(admin):
    answer = admin.client.post(f"/admin/api/events/{BEYOND_64_BITS}/replay", headers=ADMIN)

    assert answer.status_code == 404
    assert answer.json == {"error": "not_found"}


@pytest.mark.parametrize("cursor", [BEYOND_64_BITS, str(-(2**63) - 1), "1e3", "x"])
def test_a_cursor_that_is_not_a_64_bit_id_is_a_400(admin, cursor):
    answer = admin.client.get("/admin/api/events", query_string={"cursor": cursor}, headers=ADMIN)

    assert answer.status_code == 400
    assert answer.json["error"] == "bad_request"
    assert "cursor" in answer.json["reason"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": ["a"]}, "type"),
        ({"type": {"$ne": "x"}}, "type"),
        ({"status": ["dead"]}, "status"),
        ({"status": "dead", "since": 7200}, "since"),
        ({"status": "dead", "until": ["2h"]}, "until"),
        ({"type": 5}, "type"),
    ],
)
def test_a_replay_filter_of_the_wrong_type_is_a_400_naming_the_field(admin, body, field):
    answer = admin.client.post("/admin/api/replay", json=body, headers=ADMIN)

    assert answer.status_code == 400
    assert answer.json["error"] == "bad_request"
    assert field in answer.json["reason"]


@pytest.mark.parametrize("flag", ["force", "dry_run"])
@pytest.mark.parametrize("value", ["false", "true", 0, 1, None, [], {}, "yes"])
def test_replay_flags_are_json_booleans_or_a_400(admin, flag, value):
    _dead_events(admin, 1)

    answer = admin.client.post("/admin/api/replay", json={"status": "dead", flag: value}, headers=ADMIN)

    assert answer.status_code == 400
    assert answer.json["error"] == "bad_request"
    assert flag in answer.json["reason"]
    assert _statuses(admin) == {"dead": 1}


def test_force_false_does_not_replay_succeeded_events(admin):
    _dead_events(admin, 2)
    with admin.sessions() as session:
        session.execute(
            Event.__table__.update().where(Event.wix_event_id == "bulk-0").values(status="succeeded")
        )
        session.commit()

    answer = admin.client.post(
        "/admin/api/replay", json={"type": "test.permanent", "force": False}, headers=ADMIN
    )

    assert (answer.status_code, answer.json) == (202, {"replayed": 1})
    assert _statuses(admin) == {"succeeded": 1, "queued": 1}


def test_a_bulk_replay_of_100k_events_replays_every_one(make_pipeline):
    pipeline = make_pipeline(store="postgres", broker="embedded", ADMIN_TOKEN="s3cret-admin")
    _dead_events(pipeline, 100_000)

    answer = pipeline.client.post("/admin/api/replay", json={"status": "dead"}, headers=ADMIN)

    assert (answer.status_code, answer.json) == (202, {"replayed": 100_000})
    assert _statuses(pipeline) == {"queued": 100_000}
