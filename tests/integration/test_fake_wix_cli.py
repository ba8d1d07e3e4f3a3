"""`wix-meetings dev fake-wix` with many sites, latency and fault rates, as a harness starts it."""

import os
import re
import sys

import httpx
from click.testing import CliRunner

from processor.cli import cli
from tests.fixtures.pipeline import REPO
from tests.fixtures.servers import free_port, wait_until


def test_it_serves_n_sites_with_the_faults_asked_and_lists_their_instances(tmp_path, process_group):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["--sites", "3", "--latency-ms", "5", "--fault-500", "0.05", "--fault-429", "0.02"]
    args += ["--fault-drop", "0.01", "--retry-after", "2", "--seed-random", "7"]
    fake = process_group.start(
        [sys.executable, "-m", "processor", "dev", "fake-wix", "--port", str(port), *args],
        name="fake-wix",
        env=env,
        cwd=str(tmp_path),
    )
    wait_until(lambda: "Ctrl-C to stop" in fake.output(), timeout=30, message=fake.output())

    printed = re.findall(r"^  instance_id=(\S+) site_id=(\S+)", fake.output(), re.MULTILINE)
    stats = httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=5).json()

    assert len(printed) == 3
    assert set(stats["sites"]) == {instance_id for instance_id, _ in printed}
    assert [stats["sites"][i]["site_id"] for i, _ in printed] == [s for _, s in printed]
    assert stats["config"] == {
        "latency": 0.005,
        "error_500": 0.05,
        "rate_limited": 0.02,
        "drop": 0.01,
        "lost_answer": 0.0,
        "retry_after": 2.0,
        "seed": 7,
        "sites": 3,
    }
    assert "Latency 5 ms; faults: 500 5.0%, 429 2.0% (Retry-After 2 s), drop 1.0%" in fake.output()


def test_rates_that_cannot_hold_are_a_usage_error():
    result = CliRunner().invoke(cli, ["dev", "fake-wix", "--fault-500", "0.7", "--fault-drop", "0.5"])

    assert result.exit_code == 2
    assert "sum to at most 1" in result.output
