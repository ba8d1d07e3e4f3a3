"""`events purge`, `privacy erase` and start-up refusals, run as a user runs them, on both stores."""

from __future__ import annotations

import json

from sqlalchemy import select

from processor.store.models import Event, PrivacyErasure
from tests.fixtures.cli import run_cli, user_env
from tests.support.stored_events import store_event


def test_purge_dry_run_counts_per_status_and_changes_nothing(sessions, store_url, tmp_path):
    store_event(sessions, "a", "succeeded", 40)
    store_event(sessions, "b", "skipped", 40)
    store_event(sessions, "c", "dead", 40)
    store_event(sessions, "d", "failed", 400)

    result = run_cli(tmp_path, user_env(DATABASE_URL=store_url), "events", "purge", "--dry-run", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "dry_run": True,
        "events_deleted": 2,
        "deleted_by_status": {"skipped": 1, "succeeded": 1},
        "attempts_deleted": 2,
        "notifications_deleted": 2,
        "payloads_redacted": 1,
        "complete": True,
    }
    with sessions() as session:
        assert len(session.execute(select(Event.id)).all()) == 4


def test_purge_older_than_deletes_what_is_older_and_prints_a_table_per_status(sessions, store_url, tmp_path):
    store_event(sessions, "a", "succeeded", 12)
    store_event(sessions, "b", "dead", 12)
    store_event(sessions, "c", "succeeded", 8)

    result = run_cli(tmp_path, user_env(DATABASE_URL=store_url), "events", "purge", "--older-than", "10d")

    assert result.returncode == 0, result.stderr
    assert "Deleted 2 event(s):" in result.stdout
    assert [line.split() for line in result.stdout.splitlines()[1:4]] == [
        ["STATUS", "EVENTS"],
        ["dead", "1"],
        ["succeeded", "1"],
    ]
    with sessions() as session:
        assert session.execute(select(Event.wix_event_id)).scalars().all() == ["w-c"]


def test_events_show_marks_a_redacted_payload(sessions, store_url, tmp_path):
    event_id = store_event(sessions, "a", "succeeded", 20)
    env = user_env(DATABASE_URL=store_url)
    assert run_cli(tmp_path, env, "events", "purge").returncode == 0

    shown = run_cli(tmp_path, env, "events", "show", str(event_id))
    as_json = json.loads(run_cli(tmp_path, env, "events", "show", str(event_id), "--json").stdout)

    (line,) = [line for line in shown.stdout.splitlines() if line.startswith("payload_redacted_at")]
    assert line.split()[1].startswith("20")
    assert as_json["payload_redacted_at"] is not None
    assert "lee@example.com" not in shown.stdout


def test_purge_older_than_under_seven_days_is_bad_usage(store_url, tmp_path):
    result = run_cli(tmp_path, user_env(DATABASE_URL=store_url), "events", "purge", "--older-than", "3d")

    assert result.returncode == 2
    assert "--older-than" in result.stderr


def test_privacy_erase_by_email_says_what_changed_and_prints_no_personal_data(sessions, store_url, tmp_path):
    store_event(sessions, "b-1", "succeeded", 1)
    store_event(sessions, "b-2", "queued", 1)

    result = run_cli(
        tmp_path, user_env(DATABASE_URL=store_url), "privacy", "erase", "--email", "LEE@example.com"
    )

    assert result.returncode == 0, result.stderr
    assert "2 event(s) redacted, 2 notification(s) cleared" in result.stdout
    assert "lee" not in (result.stdout + result.stderr).lower()
    with sessions() as session:
        payloads = session.execute(select(Event.payload)).scalars().all()
        record = session.execute(select(PrivacyErasure)).scalar_one()
    assert "lee@example.com" not in json.dumps(payloads).lower()
    assert (record.subject_kind, record.events_redacted, record.requested_by) == ("email", 2, "cli")
    assert "example" not in record.subject_ref


def test_privacy_erase_needs_one_subject(store_url, tmp_path):
    result = run_cli(tmp_path, user_env(DATABASE_URL=store_url), "privacy", "erase")

    assert result.returncode == 2


def test_start_up_refuses_a_retention_of_two_days_naming_the_setting(store_url, tmp_path):
    env = user_env(DATABASE_URL=store_url, RETENTION_DAYS="2")

    result = run_cli(tmp_path, env, "worker")

    assert result.returncode == 2
    assert "RETENTION_DAYS: must be at least 7 days, got 2" in result.stderr
