"""Settings: defaults from the design, and start-up errors that name the setting."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from processor.config import ConfigError, load_settings
from processor.devtools.keys import generate_key_pair

_, PUBLIC = generate_key_pair()


def test_defaults_are_the_embedded_ones():
    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC})

    assert settings.database_url == "sqlite:///var/wix-meetings.sqlite3"
    assert settings.celery_broker_url == "sqla+sqlite:///var/broker.sqlite3"
    assert settings.wix_api_base_url == "https://www.wixapis.com"
    assert (settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds) == (8, 30, 21600)
    assert settings.notify_max_attempts == 10
    assert (settings.stuck_after_seconds, settings.sweep_interval_seconds) == (600, 15)
    assert (settings.webhook_max_bytes, settings.jwt_leeway_seconds) == (262144, 60)
    assert settings.refund_policy == "window"
    assert settings.calendar_poll_seconds == 300
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.wix_auth_mode is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MAX_ATTEMPTS": "zero"}, "MAX_ATTEMPTS"),
        ({"MAX_ATTEMPTS": "0"}, "MAX_ATTEMPTS"),
        ({"NOTIFY_MAX_ATTEMPTS": "0"}, "NOTIFY_MAX_ATTEMPTS"),
        ({"REFUND_POLICY": "sometimes"}, "REFUND_POLICY"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL"),
        ({"WIX_API_BASE_URL": "ftp://x"}, "WIX_API_BASE_URL"),
        ({"SMTP_URL": "mail.example.com"}, "SMTP_URL"),
        ({"WIX_APP_ID": "only-the-id"}, "WIX_APP_SECRET"),
        ({"WIX_API_KEY": "key-without-site"}, "WIX_SITE_ID"),
        ({"RETRY_BASE_SECONDS": "100", "RETRY_MAX_SECONDS": "10"}, "RETRY_MAX_SECONDS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"WIX_PUBLIC_KEY": "not a pem"}, "WIX_PUBLIC_KEY"),
        ({"WIX_PUBLIC_KEY": "@/nonexistent/key.pem"}, "WIX_PUBLIC_KEY"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_setting(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings({"WIX_PUBLIC_KEY": PUBLIC, **env})


def test_a_missing_public_key_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no var/dev-keys here

    with pytest.raises(ConfigError, match="WIX_PUBLIC_KEY"):
        load_settings({})


def test_several_pem_blocks_are_accepted_for_key_rotation():
    _, other = generate_key_pair()

    assert len(load_settings({"WIX_PUBLIC_KEY": PUBLIC + "\n" + other}).wix_public_keys) == 2


def test_postgresql_urls_mean_psycopg_3():
    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC, "DATABASE_URL": "postgresql://u@h/db"})

    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_public_base_url_follows_the_port():
    assert (
        load_settings({"WIX_PUBLIC_KEY": PUBLIC, "PORT": "9000"}).public_base_url == "http://127.0.0.1:9000"
    )


def test_a_short_secret_key_stops_start_up_naming_it():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"WIX_PUBLIC_KEY": PUBLIC, "SECRET_KEY": "too-short"})


def test_the_viewer_token_must_differ_from_the_admin_token():
    with pytest.raises(ConfigError, match="ADMIN_VIEWER_TOKEN"):
        load_settings(
            {"WIX_PUBLIC_KEY": PUBLIC, "ADMIN_TOKEN": "same-token", "ADMIN_VIEWER_TOKEN": "same-token"}
        )


def test_without_secret_key_a_random_one_is_made_once_and_reused(tmp_path):
    from processor.config import server_secret

    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC})
    path = tmp_path / "var" / "secret-key"

    first = server_secret(settings, path)
    second = server_secret(settings, path)

    assert first == second
    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert server_secret(load_settings({"WIX_PUBLIC_KEY": PUBLIC, "SECRET_KEY": "k" * 32}), path) == "k" * 32


def test_a_given_secret_key_is_used_and_never_shown():
    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC, "SECRET_KEY": "k" * 40})

    assert settings.secret_key == "k" * 40
    assert "k" * 40 not in repr(settings)


def test_settings_alone_never_write_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    load_settings({"WIX_PUBLIC_KEY": PUBLIC})

    assert not (tmp_path / "var").exists()  # workers and CLI commands that sign nothing write nothing


def _key_in(directory: str) -> str:
    from processor.config import server_secret

    os.chdir(directory)
    return server_secret(load_settings({}, need_public_key=False))


def test_processes_starting_together_agree_on_the_made_key(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_key_in, [str(tmp_path)] * 8)

    assert len(set(keys)) == 1
    assert keys[0] == (tmp_path / "var" / "secret-key").read_text().strip()
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret-key"]  # no temporary left


def test_an_unwritable_var_directory_names_secret_key(tmp_path, monkeypatch):
    from processor.config import server_secret

    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").write_text("a file where the directory should be")

    with pytest.raises(ConfigError, match="SECRET_KEY: not set, and var/secret-key cannot be"):
        server_secret(load_settings({"WIX_PUBLIC_KEY": PUBLIC}))


def test_retention_defaults_keep_events_a_month_dead_ones_three_and_payloads_two_weeks():
    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC})

    assert (settings.retention_days, settings.dead_retention_days) == (30, 90)
    assert (settings.payload_retention_days, settings.purge_interval_seconds) == (14, 86400)


@pytest.mark.parametrize("name", ["RETENTION_DAYS", "DEAD_RETENTION_DAYS"])
def test_a_retention_that_would_forget_event_ids_within_wix_retries_is_refused_naming_it(name):
    with pytest.raises(ConfigError, match=f"{name}: must be at least 7 days, got 2"):
        load_settings({"WIX_PUBLIC_KEY": PUBLIC, name: "2"})


def test_seven_days_is_the_shortest_retention_allowed():
    settings = load_settings({"WIX_PUBLIC_KEY": PUBLIC, "RETENTION_DAYS": "7", "DEAD_RETENTION_DAYS": "7"})

    assert (settings.retention_days, settings.dead_retention_days) == (7, 7)


@pytest.mark.parametrize(
    "env",
    [
        {"STUCK_AFTER_SECONDS": "120"},  # below the default 300 s hard limit
        {"STUCK_AFTER_SECONDS": "300"},  # equal is not enough: a task may run to the last second
        {"STUCK_AFTER_SECONDS": "5", "TASK_TIME_LIMIT_SECONDS": "10"},
    ],
)
def test_a_ledger_lease_that_does_not_outlast_the_task_time_limit_is_refused_naming_both(env):
    with pytest.raises(ConfigError, match=r"STUCK_AFTER_SECONDS.*TASK_TIME_LIMIT_SECONDS"):
        load_settings({"WIX_PUBLIC_KEY": PUBLIC, **env})


def test_the_task_time_limit_is_a_setting_with_a_soft_limit_and_visibility_timeout_derived_from_it():
    from processor.queue import make_celery

    default = make_celery(load_settings({"WIX_PUBLIC_KEY": PUBLIC, "CELERY_BROKER_URL": "redis://h/0"}))
    quick = make_celery(
        load_settings(
            {
                "WIX_PUBLIC_KEY": PUBLIC,
                "CELERY_BROKER_URL": "redis://h/0",
                "TASK_TIME_LIMIT_SECONDS": "4",
                "STUCK_AFTER_SECONDS": "5",
            }
        )
    )
    long = make_celery(
        load_settings(
            {
                "WIX_PUBLIC_KEY": PUBLIC,
                "CELERY_BROKER_URL": "redis://h/0",
                "TASK_TIME_LIMIT_SECONDS": "7200",
                "STUCK_AFTER_SECONDS": "7300",
            }
        )
    )

    assert (default.conf.task_time_limit, default.conf.task_soft_time_limit) == (300, 270)
    assert (quick.conf.task_time_limit, quick.conf.task_soft_time_limit) == (4, 3.6)
    assert default.conf.broker_transport_options["visibility_timeout"] == 3600
    assert long.conf.broker_transport_options["visibility_timeout"] > 7200


def test_the_worker_runs_32_threads_unless_told_otherwise():
    settings = load_settings({}, need_public_key=False)

    assert (settings.worker_pool, settings.worker_concurrency) == ("threads", 32)


def test_a_prefork_worker_defaults_to_a_process_per_core():
    settings = load_settings({"WORKER_POOL": "prefork"}, need_public_key=False)

    assert settings.worker_concurrency == max(2, os.cpu_count() or 1)
    assert (
        load_settings(
            {"WORKER_POOL": "prefork", "WORKER_CONCURRENCY": "3"}, need_public_key=False
        ).worker_concurrency
        == 3
    )


def test_an_unknown_worker_pool_is_refused_by_name():
    with pytest.raises(ConfigError, match="WORKER_POOL"):
        load_settings({"WORKER_POOL": "gevent"}, need_public_key=False)
