"""Refund flows in-process, through the worker's own path, with and without cProfile (issue 11, item 2).

    .venv/bin/python -m bench.processing.profile_refund [--flows 200] [--sites 20] [--top 30]

Stores N canceled paid bookings' webhooks (as the receiver does: decode, insert, `queued`) in a fresh
PostgreSQL database (a private Redis holds the sites' Wix budgets, as in production), then runs each
as the worker's task does: `processing.run` (claim, the refund flow, finish, then the first try of
its three emails over one SMTP connection). Wix is the fake in a process of its own, answering at
once (no latency), so the figure is the worker's CPU, not its waiting; email goes to an aiosmtpd
sink. Logging is configured as in the worker (JSON lines, to a file here).

One flow per site runs first, unmeasured (each site's first call fetches a token). Then N flows
are timed by this thread's CPU clock (the fake, the SMTP sink and the driver threads are elsewhere),
then N more under cProfile, counting this thread's CPU time (`--clock wall` counts waits too); the
profile's top lines (by own time and by cumulative time) are printed and the `.prof` file is kept
under var/.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import logging
import pstats
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, event
from structlog.contextvars import bound_contextvars

from bench.processing.stack import ProcessingStack, Store
from bench.processing.stores import fresh_postgres, private_redis
from bench.processing.webhooks import Webhook, sign_fake_events
from bench.soak.sinks import Sinks
from bench.soak.stack import REPO
from processor.config import load_settings
from processor.events import decode_webhook
from processor.logs import configure_logging
from processor.store import inbox
from processor.store.db import make_engine
from processor.store.migrate import upgrade
from workers import processing
from workers.flows import load_flows
from workers.wiring import Deps

CHUNK = 25  # timed flows per CPU reading: the best chunk is the figure least touched by the box's noise


def run_flows(deps: Deps, event_ids: list[int]) -> dict[str, int]:
    """Each event as `process_event` runs it (its emails included)."""
    outcomes: dict[str, int] = {}
    for event_id in event_ids:
        with bound_contextvars(event_id=event_id):
            outcome = processing.run(event_id, deps) or "not claimed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


class RoundTrips:
    """Statements, and transactions (a BEGIN and a COMMIT or ROLLBACK round trip each; a connection in
    autocommit sends neither), on a PostgreSQL engine: the flow's SQL round trips."""

    def __init__(self, engine: Engine) -> None:
        self.counts = {"statements": 0, "transactions": 0}
        self.texts: dict[str, int] = {}  # each statement's first line, by how often it ran
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._transaction)

    def _statement(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.counts["statements"] += 1
        head = " ".join(statement.split())[:110]
        self.texts[head] = self.texts.get(head, 0) + 1

    def _transaction(self, conn: Connection) -> None:
        if not conn.connection.dbapi_connection.autocommit:  # type: ignore[union-attr]
            self.counts["transactions"] += 1

    def since(self, before: dict[str, int], flows: int) -> str:
        return ", ".join(f"{(self.counts[k] - before[k]) / flows:.1f} {k}" for k in self.counts)


def store_webhooks(deps: Deps, webhooks: list[Webhook], keys: list[object]) -> list[int]:
    """What the receiver does with each: verify and decode, insert, mark `queued`."""
    ids = []
    with deps.sessions() as session:
        for webhook in webhooks:
            event = decode_webhook(webhook.token.encode(), keys)  # type: ignore[arg-type]
            event_id, _ = inbox.record_received(session, event)
            ids.append(event_id)
        inbox.mark_queued(session, ids)
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.processing.profile_refund",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--flows", type=int, default=200, help="flows timed, and as many profiled")
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="the fake's delay before each answer (default 0)"
    )
    parser.add_argument("--top", type=int, default=30, help="profile lines printed per ordering")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="what the profile counts: this thread's CPU time (default), or wall time (waits included)",
    )
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
    run_dir = REPO / "var" / "profile-refund" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    load_flows()
    sinks = Sinks().start()
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(sinks.stop)
        database_url = cleanup.enter_context(fresh_postgres())
        redis_url = cleanup.enter_context(private_redis(run_dir / "redis"))  # the Wix budget, as deployed
        env = {"DATABASE_URL": database_url, "CELERY_BROKER_URL": redis_url}
        store = Store("PostgreSQL + Redis", env, database_url)
        stack = ProcessingStack(run_dir, store, {})
        cleanup.callback(stack.stop)
        stack.start_fake(sites=args.sites, bookings=args.sites + 2 * args.flows, latency_ms=args.latency_ms)
        settings = load_settings(
            {
                **stack.env(),
                "SMTP_URL": sinks.smtp.url,
                "NOTIFY_FROM": "meetings@bench.test",
                "LOG_FORMAT": "json",
                "CALENDAR_POLL_SECONDS": "0",
            }
        )
        engine = make_engine(database_url)
        upgrade(engine)
        deps = Deps.from_settings(settings)
        webhooks = sign_fake_events(stack.private_pem, stack.fake_events)
        event_ids = store_webhooks(deps, webhooks, list(settings.wix_public_keys))
        warm, timed, profiled = (
            event_ids[: args.sites],
            event_ids[args.sites : args.sites + args.flows],
            event_ids[args.sites + args.flows :],
        )
        log_path = run_dir / "worker.log"
        with log_path.open("w") as log_file, contextlib.redirect_stderr(log_file):
            configure_logging(settings, cache_loggers=True)  # as the worker: JSON lines to stderr
            run_flows(deps, warm)
            cpu, wall, chunks = 0.0, time.perf_counter(), []
            outcomes: dict[str, int] = {}
            for start in range(0, len(timed), CHUNK):
                chunk = timed[start : start + CHUNK]
                began = time.thread_time()
                for outcome, count in run_flows(deps, chunk).items():
                    outcomes[outcome] = outcomes.get(outcome, 0) + count
                chunks.append((time.thread_time() - began) / len(chunk))
                cpu += chunks[-1] * len(chunk)
            wall = time.perf_counter() - wall
            # Counted over the profiled flows: engine event listeners cost CPU, so none run while timing.
            trips = RoundTrips(deps.sessions.kw["bind"])
            before = dict(trips.counts)
            profiler = cProfile.Profile(time.thread_time if args.clock == "cpu" else time.perf_counter)
            profiler.enable()
            profiled_outcomes = run_flows(deps, profiled)
            profiler.disable()
            sql = trips.since(before, len(profiled))
            logging.getLogger().handlers[:] = []  # the log file closes here; the SMTP sink still logs
        stats_path = run_dir / "refund.prof"
        profiler.dump_stats(stats_path)
        emails = len(sinks.smtp.messages)
        fake = stack.fake_stats()["totals"]
        engine.dispose()
    flows = len(timed)
    print(f"flows: {flows} timed {outcomes}, {len(profiled)} profiled {profiled_outcomes}")
    print(
        f"worker CPU per refund flow: {1000 * cpu / flows:.1f} ms (this thread's CPU clock); "
        f"wall {1000 * wall / flows:.1f} ms; by chunks of {CHUNK}: best {1000 * min(chunks):.1f} ms, "
        f"median {1000 * statistics.median(chunks):.1f} ms (a shared box's noise only adds)"
    )
    print(f"SQL per flow: {sql} (a transaction: BEGIN and COMMIT round trips besides its statements)")
    for statement, count in sorted(trips.texts.items(), key=lambda item: -item[1]):
        print(f"  {count / len(profiled):4.1f} x {statement}")
    total_flows = len(event_ids)
    print(
        f"Wix calls per flow: {fake['requests'] / total_flows:.2f} "
        f"(+ {fake['token_requests']} token requests in all); emails per flow {emails / total_flows:.2f}"
    )
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(str(stats_path), stream=text).sort_stats(order).print_stats(args.top)
        print(f"\n--- top {args.top} by {order} ({len(profiled)} flows, {args.clock} time) ---")
        print(_trim(text.getvalue()))
    print(f"profile: {stats_path} (e.g. `python -m pstats {stats_path}`); worker log: {log_path}")
    return 0


def _trim(report: str) -> str:
    """pstats' table without its preamble; paths shortened to the package."""
    lines = report.splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    site = str(Path(sys.prefix))
    return "\n".join(
        line.replace(str(REPO) + "/", "").replace(site + "/lib/python3.11/site-packages/", "")
        for line in lines[start:]
        if line.strip()
    )


if __name__ == "__main__":
    sys.exit(main())
