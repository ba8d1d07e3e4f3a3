"""A new user's first minute: `wix-meetings run` on the embedded defaults, `dev send`, `events list`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.fixtures.cli import run_cli, start_run, user_env
from tests.fixtures.servers import free_port, wait_until


def _processes_working_in(folder: Path) -> list[int]:
    """Pids of live processes whose working directory is `folder` (the roles `run` started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (
                    Path(os.readlink(entry / "cwd")) == folder
                    and "Z" not in (entry / "stat").read_text().split()[2]
                ):
                    found.append(int(entry.name))
    return found


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    return "?"


def test_run_brings_up_the_processor_and_a_dev_event_travels_through_it(tmp_path, process_group):
    port = free_port()
    env = user_env(PORT=str(port))
    run = start_run(process_group, tmp_path, env, port)

    sent = run_cli(tmp_path, env, "dev", "send", "wix.bookings.v2.booking_number_of_participants_updated")
    event_id = json.loads(sent.stdout.split(" ", 1)[1].splitlines()[0])["event_id"]
    listed = wait_until(
        lambda: (
            (r := run_cli(tmp_path, env, "events", "list", "--json")).stdout and "ignored" in r.stdout and r
        ),
        timeout=60,
        interval=0.5,
        message="the event never finished",
    )

    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("200 ")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["status"], r["status_reason"]) for r in rows] == [
        (event_id, "ignored", "no flow for this event type")
    ]
    assert (tmp_path / "var" / "dev-keys" / "public.pem").exists()
    assert (tmp_path / "var" / "wix-meetings.sqlite3").exists()

    run.send_signal(signal.SIGINT)
    wait_until(lambda: not run.alive(), timeout=30, message="run did not stop on Ctrl-C")
    assert "Stopped receiver, worker and beat." in run.output()
    wait_until(lambda: not _processes_working_in(tmp_path), timeout=10, message="a role outlived run")


def test_the_roles_stop_when_run_itself_is_killed(tmp_path, process_group):
    port = free_port()
    env = user_env(PORT=str(port))
    run = start_run(process_group, tmp_path, env, port)
    assert len(_processes_working_in(tmp_path)) >= 4  # run, gunicorn master + workers, celery, beat

    os.kill(run.popen.pid, signal.SIGKILL)  # no chance to stop its children itself

    try:
        wait_until(lambda: not _processes_working_in(tmp_path), timeout=30, message="")
    except AssertionError:  # which role, so that a rare failure under load says what to look at
        left = {pid: _command_line(pid) for pid in _processes_working_in(tmp_path)}
        raise AssertionError(f"a role outlived a killed run (after 30s): {left}") from None
    finally:
        for pid in _processes_working_in(tmp_path):  # only on failure: the orphans, by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_serve_runs_gunicorn_and_refuses_an_oversized_chunked_body(tmp_path, process_group, wix_keys):
    port = free_port()
    env = {
        **user_env(PORT=str(port)),
        "WIX_PUBLIC_KEY": wix_keys.public_pem,
        "WEBHOOK_MAX_BYTES": "2048",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
    }
    assert run_cli(tmp_path, env, "db", "upgrade").returncode == 0
    serve = process_group.start(
        [sys.executable, "-m", "processor", "serve", "--port", str(port)],
        env=env,
        cwd=str(tmp_path),
        name="serve",
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: httpx.get(f"{url}/healthz", timeout=2).status_code == 200,
        timeout=60,
        interval=0.3,
        ignore=(httpx.HTTPError,),
        message=f"serve never came up:\n{serve.output()[-2000:]}",
    )

    def chunks():
        for _ in range(100):
            yield b"x" * 1024

    chunked = httpx.post(f"{url}/webhooks/wix", content=chunks(), timeout=10)
    declared = httpx.post(f"{url}/webhooks/wix", content=b"y" * 4096, timeout=10)
    missing_config = run_cli(
        tmp_path, {**env, "WIX_PUBLIC_KEY": "garbage"}, "serve", "--port", str(free_port())
    )

    assert (chunked.status_code, chunked.json()) == (413, {"error": "payload_too_large"})
    assert declared.status_code == 413
    assert missing_config.returncode == 2
    assert "WIX_PUBLIC_KEY" in missing_config.stderr
