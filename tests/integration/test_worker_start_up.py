"""`wix-meetings worker` refuses settings that would break exactly-once, before it starts anything."""

from __future__ import annotations

import pytest

from tests.fixtures.cli import run_cli, user_env


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_a_ledger_lease_shorter_than_the_task_time_limit_stops_start_up_with_exit_2(tmp_path, role):
    env = user_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        STUCK_AFTER_SECONDS="120",  # the default hard limit is 300 s
    )

    result = run_cli(tmp_path, env, role)

    assert result.returncode == 2, result.stderr[-2000:]
    assert "STUCK_AFTER_SECONDS" in result.stderr
    assert "TASK_TIME_LIMIT_SECONDS" in result.stderr
