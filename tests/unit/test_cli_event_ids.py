"""`events show|replay` take event ids as the store keeps them: a number beyond 64 bits is bad usage."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from processor.cli import cli


@pytest.mark.parametrize("command", [["events", "show"], ["events", "replay"]])
@pytest.mark.parametrize("event_id", ["99999999999999999999", "0"])
def test_an_event_id_outside_the_stores_range_exits_2(tmp_path, command, event_id):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}", "WIX_PUBLIC_KEY": None}

    result = CliRunner().invoke(cli, [*command, event_id], env=env)

    assert result.exit_code == 2, result.output
    assert "EVENT_ID" in result.output
    assert not (tmp_path / "none.sqlite3").exists()
