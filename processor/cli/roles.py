"""Process roles: run (all together), serve, worker, beat, and `db upgrade`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from processor.cli.common import RefusedError, settings_from_context
from processor.config import WORKER_POOLS, default_worker_concurrency
from processor.store.db import make_engine
from processor.store.migrate import upgrade


def register(cli: click.Group) -> None:
    cli.add_command(run)
    cli.add_command(serve)
    cli.add_command(worker)
    cli.add_command(beat)
    cli.add_command(db)


@click.command()
@click.option("--no-dev-key", is_flag=True, help="Do not create a dev key when WIX_PUBLIC_KEY is unset.")
def run(no_dev_key: bool) -> None:
    """Receiver + worker + beat on this machine, on the settings, until Ctrl-C."""
    if not no_dev_key and not os.environ.get("WIX_PUBLIC_KEY"):
        from processor.devtools.keys import ensure_dev_keys

        _, public, made = ensure_dev_keys()
        if made:
            click.echo(f"Made a dev key pair ({public}); `wix-meetings dev send` signs with it.")
    settings = settings_from_context(need_public_key=True)
    Path("var").mkdir(exist_ok=True)
    upgrade(make_engine(settings.database_url))
    me = [sys.executable, "-m", "processor"]
    roles = {
        "web": [*me, "serve"],
        "worker": [*me, "worker"],
        "beat": [*me, "beat"],
    }
    click.echo(
        f"Receiver on http://127.0.0.1:{settings.port}/webhooks/wix"
        f" · store {_safe_url(settings.database_url)}"
        f" · broker {_safe_url(settings.celery_broker_url)}. Ctrl-C stops all."
    )
    children = {
        name: subprocess.Popen(cmd, start_new_session=True, preexec_fn=_stop_when_parent_dies)
        for name, cmd in roles.items()
    }
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exited = None
    while not stopping and exited is None:
        time.sleep(0.2)
        exited = next((n for n, p in children.items() if p.poll() is not None), None)
    if exited:
        click.echo(f"{exited} exited with {children[exited].returncode}; stopping the others.", err=True)
    _stop_all(children)
    click.echo("Stopped receiver, worker and beat.")
    if exited:
        sys.exit(1)


def _stop_when_parent_dies() -> None:
    """In the child before exec: SIGTERM it when `run` dies, even by SIGKILL (Linux; else no-op)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM each role's main process only: gunicorn's master and Celery's main process stop
    their own children (a SIGTERM to a Celery worker's whole group kills pool processes that hold
    the pool's queue lock, and the main process then hangs forever at exit); SIGKILL the whole
    group of whatever is still running after 10 s."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=int, default=None, help="Port (default: $PORT, 8000).")
@click.option("--workers", "web_workers", type=int, default=None, help="Processes (default: $WEB_WORKERS).")
def serve(host: str, port: int | None, web_workers: int | None) -> None:
    """The receiver under gunicorn (production WSGI server)."""
    settings = settings_from_context(need_public_key=True)
    metrics_dir = Path("var") / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    from gunicorn.app.base import BaseApplication

    from processor.web import create_app

    app = create_app(settings)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port or settings.port}")
            self.cfg.set("workers", web_workers or settings.web_workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 30)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("child_exit", _child_exit)

        def load(self) -> Any:
            return app

    Server().run()


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--pool",
    type=click.Choice(WORKER_POOLS),
    default=None,
    help="threads (flows wait on Wix side by side) or prefork (default: $WORKER_POOL, threads).",
)
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help="Threads, or processes with prefork (default: $WORKER_CONCURRENCY: 32 threads).",
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(pool: str | None, concurrency: int | None, celery_args: tuple[str, ...]) -> None:
    """A Celery worker running the flows (extra arguments go to `celery worker`)."""
    settings = settings_from_context()
    chosen_pool = pool or settings.worker_pool
    if concurrency is None:
        same_pool = chosen_pool == settings.worker_pool
        concurrency = settings.worker_concurrency if same_pool else default_worker_concurrency(chosen_pool)
    _exec_celery(
        "worker",
        "--loglevel=INFO",
        f"--pool={chosen_pool}",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        *celery_args,
    )


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Celery beat: the sweep and the calendar watcher on their schedules."""
    settings_from_context()
    Path("var").mkdir(exist_ok=True)
    _exec_celery("beat", "--loglevel=INFO", *celery_args)


def _exec_celery(role: str, *args: str) -> None:
    argv = [sys.executable, "-m", "celery", "-A", "workers", role, *args]
    os.execv(sys.executable, argv)  # noqa: S606 - this process becomes celery


@click.group()
def db() -> None:
    """The store's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations (idempotent)."""
    settings = settings_from_context()
    try:
        upgrade(make_engine(settings.database_url))
    except Exception as exc:
        raise RefusedError(f"store refused the migration: {type(exc).__name__}: {exc}") from exc
    click.echo(f"Store is up to date ({_safe_url(settings.database_url)}).")
