"""The six parts of the processing benchmark, each on a fresh store and broker of its own.

drain-pg / drain-sqlite: events no flow handles, queued first, then one default worker drains them.
cpu: a batch of canceled paid bookings drained to the last email; worker CPU per refund flow.
refunds: canceled paid bookings over 300 sites, Wix answering after 100 ms, one default worker.
rate-window: refunds to one site under 8 worker processes; the fake counts the busiest 60-s window.
latency: 50 events/s to an idle default worker; receive → first attempt finished, from the store.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from bench.processing import checks
from bench.processing.config import (
    CPU_PER_FLOW_TARGET_MS,
    DRAIN_PG_TARGET,
    DRAIN_SQLITE_TARGET,
    FLOWS_PER_SECOND_TARGET,
    LATENCY_P50_TARGET_MS,
    LATENCY_P99_TARGET_MS,
    PRODUCT_SETTINGS,
    RSS_TARGET_MIB,
    WIX_BURST,
    WIX_LIMIT_PER_MINUTE,
    Sizes,
)
from bench.processing.procs import usage
from bench.processing.report import Check, Figure, PartResult
from bench.processing.stack import ProcessingStack, Store
from bench.processing.store_reads import (
    EventTimes,
    event_times,
    notification_counts,
    percentile,
    status_counts,
    unfinished,
)
from bench.processing.stores import fresh_postgres, private_redis
from bench.processing.webhooks import Answers, post_all, post_paced, sign_fake_events, sign_unhandled
from bench.soak.sinks import Sinks

MIB = 1024 * 1024
POLL = 0.25
WARM_UP = 20  # events the latency part sends and waits for before it measures


@dataclass
class Bench:
    """What every part gets: where its logs go, the sizes, and settings given with --set."""

    run_dir: Path
    sizes: Sizes
    overrides: dict[str, str] = field(default_factory=dict)

    def say(self, text: str) -> None:
        print(f"[bench-processing {time.strftime('%H:%M:%S')}] {text}", flush=True)


@dataclass
class Sampler:
    """The worker tree's CPU seconds since `start`, and its largest RSS seen."""

    pids: list[int]
    cpu_start: float = 0.0
    max_rss: int = 0
    processes: int = 0

    def start(self) -> Sampler:
        self.cpu_start = self.cpu()
        self.sample()
        return self

    def cpu(self) -> float:
        return sum(usage(pid).cpu_seconds for pid in self.pids)

    def sample(self) -> None:
        found = [usage(pid) for pid in self.pids]
        self.max_rss = max(self.max_rss, sum(u.rss_bytes for u in found))
        self.processes = max(self.processes, sum(u.processes for u in found))

    def used(self) -> float:
        return self.cpu() - self.cpu_start


@contextlib.contextmanager
def part_stack(bench: Bench, part: str, store_kind: str, **settings: str) -> Iterator[ProcessingStack]:
    """A stack on a fresh store: PostgreSQL + Redis, or the embedded SQLite defaults; stopped on exit."""
    run_dir = bench.run_dir / part
    run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        if store_kind == "sqlite":
            path = run_dir / "proc" / "shared" / "var" / "wix-meetings.sqlite3"
            store = Store("SQLite (embedded defaults)", {}, f"sqlite:///{path}")
        else:
            database_url = cleanup.enter_context(fresh_postgres())
            broker_url = cleanup.enter_context(private_redis(run_dir / "redis"))
            env = {"DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url}
            store = Store("PostgreSQL + Redis", env, database_url)
        stack = ProcessingStack(run_dir, store, {**PRODUCT_SETTINGS, **settings, **bench.overrides})
        cleanup.callback(stack.stop)
        yield stack


def _engine(stack: ProcessingStack) -> Engine:
    """The harness's reader: a plain engine (the product's SQLite engine takes the write lock for
    every transaction, which would make the harness's polls compete with the worker's writes)."""
    url = stack.store.database_url
    return create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})


def wait_done(
    engine: Engine, expected: int, seconds: float, tick: Callable[[], None] | None = None
) -> tuple[Counter[str], bool]:
    """Poll until `expected` events are stored and final, or `seconds` pass; (counts, all done)."""
    deadline = time.monotonic() + seconds
    while True:
        counts = status_counts(engine)
        if sum(counts.values()) >= expected and unfinished(counts) == 0:
            return counts, True
        if time.monotonic() >= deadline:
            return counts, False
        if tick is not None:
            tick()
        time.sleep(POLL)


def rate(times: list[EventTimes]) -> tuple[int, float]:
    """(events finished, per second from the first claim to the last first-attempt finish)."""
    finished = [t for t in times if t.first_finished is not None and t.first_started is not None]
    if len(finished) < 2:
        return len(finished), 0.0
    began = min(t.first_started for t in finished if t.first_started is not None)
    ended = max(t.first_finished for t in finished if t.first_finished is not None)
    seconds = (ended - began).total_seconds()
    return len(finished), len(finished) / seconds if seconds > 0 else 0.0


def _settle_outbox(engine: Engine, seconds: float) -> int:
    """Wait (bounded) until no email waits in the outbox; how many still do (`pending`, or `sending`:
    claimed by a delivery in flight, which a part cut at its bound reads between claim and send)."""
    deadline = time.monotonic() + seconds
    while True:
        counts = notification_counts(engine)
        pending = counts.get("email:pending", 0) + counts.get("email:sending", 0)
        if pending == 0 or time.monotonic() >= deadline:
            return pending
        time.sleep(POLL)


# -- drain -----------------------------------------------------------------------------------------


def drain(bench: Bench, store_kind: str) -> PartResult:
    """Queue N events no flow handles with no worker running, then start the default worker."""
    sizes = bench.sizes
    name = f"drain-{store_kind}"
    target = DRAIN_SQLITE_TARGET if store_kind == "sqlite" else DRAIN_PG_TARGET
    with part_stack(bench, name, store_kind) as stack:
        result = PartResult(name, "")
        result.title = (
            f"{sizes.drain_events} events no flow handles ({stack.store.name}), queued through the "
            "receiver with no worker running, then one `wix-meetings worker` (its defaults) drains them"
        )
        stack.migrate()
        stack.start_receiver_ready()
        webhooks = sign_unhandled(stack.private_pem, sizes.drain_events)
        bench.say(f"{name}: posting {len(webhooks)} events")
        answers = post_all(stack.receiver_url, webhooks)
        engine = _engine(stack)
        queued_within = _wait_queued(engine, len(answers.event_ids), 30.0)
        (slot,) = stack.start_workers_ready(())
        assert slot.process is not None
        sampler = Sampler([slot.process.pid]).start()
        bench.say(f"{name}: worker ready, draining")
        counts, done = wait_done(engine, len(answers.event_ids), sizes.drain_seconds, sampler.sample)
        cpu = sampler.used()
        times = event_times(engine)
        engine.dispose()
    finished, per_second = rate(list(times.values()))
    result.figures += [
        Figure(
            f"drain events/s, {stack.store.name}",
            f"**{per_second:.0f}**",
            f"≥ {target:g}",
            per_second >= target,
        ),
        Figure("worker CPU per event", f"{1000 * cpu / max(1, finished):.1f} ms"),
        Figure("worker RSS (largest seen)", f"{sampler.max_rss / MIB:.0f} MiB"),
    ]
    result.checks += [checks.nothing_lost(answers, times, len(webhooks)), checks.no_bookings()]
    result.notes += [
        f"all {len(answers.event_ids)} queued by the doorbell before the worker started: {queued_within}",
        f"finished {finished} of {len(answers.event_ids)}"
        + ("" if done else f" (bound of {sizes.drain_seconds:g} s reached)")
        + f"; statuses {dict(counts)}",
    ]
    return result


def _wait_queued(engine: Engine, expected: int, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        counts = status_counts(engine)
        if sum(counts.values()) >= expected and counts.get("received", 0) == 0:
            return "yes"
        time.sleep(POLL)
    return f"no, after {seconds:g} s: {dict(status_counts(engine))}"


# -- refunds at 300 sites --------------------------------------------------------------------------


@dataclass
class RefundRun:
    """What one run of refunds left: answers, store times, fake stats, emails, worker usage."""

    answers: Answers
    times: dict[int, EventTimes]
    stats: dict[str, Any]
    emails: Counter[str]
    pending_emails: int
    cpu: float
    sampler: Sampler
    done: bool
    counts: Counter[str]
    wall: float
    measured: Answers  # the bookings posted after the warm-up (all of them without one)


def _run_refunds(
    bench: Bench,
    stack: ProcessingStack,
    sinks: Sinks,
    worker_args: tuple[str, ...],
    seconds: float,
    *,
    warm: int = 0,
) -> RefundRun:
    """Post the fake's canceled bookings to a ready worker (+ beat for the sweep); bounded by `seconds`.
    With `warm`, the first `warm` bookings are posted and drained first, unmeasured (each site's
    first flow fetches its access token, which later flows find cached, as in a running deployment);
    the figures are of the rest, the checks of all."""
    stack.migrate()
    stack.start_receiver_ready()
    webhooks = sign_fake_events(stack.private_pem, stack.fake_events)
    contact_of = {e["booking_id"]: e["contact_email"] for e in stack.fake_events}
    (slot,) = stack.start_workers_ready(worker_args)
    stack.start_beat_ready()
    assert slot.process is not None
    engine = _engine(stack)
    answers = Answers()
    if warm:
        bench.say(f"{stack.run_dir.name}: worker ready, warming {warm} sites up (unmeasured)")
        answers = post_all(stack.receiver_url, webhooks[:warm])
        wait_done(engine, len(answers.event_ids), seconds)
        _settle_outbox(engine, bench.sizes.settle_seconds)
    sampler = Sampler([slot.process.pid]).start()
    began = time.monotonic()
    bench.say(f"{stack.run_dir.name}: posting {len(webhooks) - warm} canceled bookings")
    measured = post_all(stack.receiver_url, webhooks[warm:])
    answers.merge(measured)
    left = seconds - (time.monotonic() - began)
    counts, done = wait_done(engine, len(answers.event_ids), left, sampler.sample)
    wall = time.monotonic() - began
    _settle_outbox(engine, bench.sizes.settle_seconds if done else 0.0)
    cpu = sampler.used()
    stats = stack.fake_stats()
    times = event_times(engine)  # first the statuses, then the outbox, then the sink: an event that
    pending = _settle_outbox(engine, 0.0)  # succeeds between the reads has its emails in the outbox
    engine.dispose()
    emails = checks.emails_per_booking(sinks.smtp.messages, sinks.smtp.envelopes, contact_of)
    return RefundRun(answers, times, stats, emails, pending, cpu, sampler, done, counts, wall, measured)


def _refund_checks(run: RefundRun, sent: int) -> list[Check]:
    refunds = checks.refunds_by_booking(run.stats)
    return [
        checks.nothing_lost(run.answers, run.times, sent),
        checks.one_refund_each(run.answers, run.times, refunds),
        checks.three_emails_each(run.answers, run.times, run.emails, run.pending_emails),
    ]


def cpu_per_flow(bench: Bench) -> PartResult:
    """A batch of refunds drained to the last email: the worker's CPU per flow, Wix calls and emails."""
    sizes = bench.sizes
    sinks = Sinks().start()
    try:
        with part_stack(bench, "cpu", "pg", SMTP_URL=sinks.smtp.url) as stack:
            stack.start_fake(
                sites=sizes.cpu_sites,
                bookings=sizes.cpu_sites + sizes.cpu_bookings,
                latency_ms=sizes.latency_ms,
            )  # the fake spreads bookings over sites in turn: the first cpu_sites are one per site
            run = _run_refunds(bench, stack, sinks, (), sizes.cpu_seconds, warm=sizes.cpu_sites)
    finally:
        sinks.stop()
    measured = [run.times[e] for e in run.measured.by_booking.values() if e in run.times]
    finished, per_second = rate(measured)
    flows = rate([run.times[e] for e in run.answers.by_booking.values() if e in run.times])[0]
    cpu_ms = 1000 * run.cpu / max(1, finished)
    result = PartResult(
        "cpu",
        f"{sizes.cpu_bookings} canceled paid bookings over {sizes.cpu_sites} sites (PostgreSQL + Redis), "
        f"every Wix call answered after {sizes.latency_ms:g} ms, one `wix-meetings worker` (its defaults) "
        f"+ beat, drained to the last email, after one booking per site drained first (unmeasured: "
        "each site's first flow fetches its token)",
    )
    result.figures += [
        Figure(
            "worker CPU per refund flow",
            f"**{cpu_ms:.1f} ms**",
            f"≤ {CPU_PER_FLOW_TARGET_MS:g} ms",
            cpu_ms <= CPU_PER_FLOW_TARGET_MS,
        ),
        Figure(
            "Wix calls per flow (+ token requests), warm-up included", _per_flow(run.stats["totals"], flows)
        ),
        Figure("emails per flow", f"{sum(run.emails.values()) / max(1, flows):.2f}"),
        Figure("refund flows/s", f"{per_second:.2f}"),
    ]
    result.checks += _refund_checks(run, len(stack.fake_events))
    result.notes += [
        _finished(run, finished, sizes.cpu_seconds, of=len(run.measured.event_ids)),
        "CPU per flow = the worker process tree's CPU (utime + stime, pool children included) from "
        "the end of the warm-up to the last email sent, over the flows posted after it: the "
        "doorbell's fan-out, the notification deliveries and the sweep included",
    ]
    return result


def refunds(bench: Bench) -> PartResult:
    """Canceled paid bookings over 300 sites, Wix answering every call after 100 ms, default worker."""
    sizes = bench.sizes
    sinks = Sinks().start()
    try:
        with part_stack(bench, "refunds", "pg", SMTP_URL=sinks.smtp.url) as stack:
            stack.start_fake(
                sites=sizes.refund_sites, bookings=sizes.refund_bookings, latency_ms=sizes.latency_ms
            )
            run = _run_refunds(bench, stack, sinks, (), sizes.refund_seconds)
    finally:
        sinks.stop()
    finished, per_second = rate([run.times[e] for e in run.answers.by_booking.values() if e in run.times])
    rss = run.sampler.max_rss / MIB
    result = PartResult(
        "refunds",
        f"{sizes.refund_bookings} canceled paid bookings over {sizes.refund_sites} sites (PostgreSQL + "
        f"Redis), every Wix call answered after {sizes.latency_ms:g} ms, one `wix-meetings worker` "
        f"(its defaults) + beat, for at most {sizes.refund_seconds:g} s; posted once the worker is ready",
    )
    result.figures += [
        Figure(
            "refund flows/s",
            f"**{per_second:.2f}**",
            f"≥ {FLOWS_PER_SECOND_TARGET:g}",
            per_second >= FLOWS_PER_SECOND_TARGET,
        ),
        Figure(
            "worker RSS (largest seen)",
            f"**{rss:.0f} MiB**",
            f"≤ {RSS_TARGET_MIB:g} MiB",
            rss <= RSS_TARGET_MIB,
        ),
        Figure("worker CPU busy (cores)", f"{run.cpu / max(0.001, run.wall):.2f}"),
        Figure("worker processes", str(run.sampler.processes)),
    ]
    result.checks += _refund_checks(run, len(stack.fake_events))
    result.notes.append(_finished(run, finished, sizes.refund_seconds))
    return result


def _finished(run: RefundRun, finished: int, bound: float, *, of: int | None = None) -> str:
    return (
        f"finished {finished} of {len(run.answers.event_ids) if of is None else of} in {run.wall:.0f} s"
        + ("" if run.done else f" (bound of {bound:g} s reached)")
        + f"; statuses {dict(run.counts)}"
    )


def _per_flow(totals: dict[str, int], flows: int) -> str:
    flows = max(1, flows)
    return f"{totals['requests'] / flows:.2f} (+ {totals['token_requests'] / flows:.2f})"


# -- one site, 8 processes -------------------------------------------------------------------------


def rate_window(bench: Bench) -> PartResult:
    """Refunds to one site under 8 worker processes: the busiest 60-s window the fake counted."""
    sizes = bench.sizes
    processes = sizes.window_processes
    worker_args = ("--pool", "prefork", "--concurrency", str(processes))
    sinks = Sinks().start()
    try:
        with part_stack(bench, "rate-window", "pg", SMTP_URL=sinks.smtp.url) as stack:
            stack.start_fake(sites=1, bookings=sizes.window_bookings, latency_ms=sizes.latency_ms)
            run = _run_refunds(bench, stack, sinks, worker_args, sizes.window_seconds)
    finally:
        sinks.stop()
    site = max(run.stats["sites"].values(), key=lambda s: s["requests"])
    busiest = int(site["max_requests_in_window"])
    limit = WIX_LIMIT_PER_MINUTE + WIX_BURST
    finished, per_second = rate([run.times[e] for e in run.answers.by_booking.values() if e in run.times])
    result = PartResult(
        "rate-window",
        f"{sizes.window_bookings} canceled paid bookings on one site, Wix answering after "
        f"{sizes.latency_ms:g} ms, `wix-meetings worker {' '.join(worker_args)}` + beat, "
        f"for {sizes.window_seconds:g} s; the fake counts every API call to the site",
    )
    result.figures += [
        Figure(
            "most Wix requests to one site in any 60 s",
            f"**{busiest}**",
            f"≤ {limit} ({WIX_LIMIT_PER_MINUTE} + burst {WIX_BURST})",
            busiest <= limit,
        ),
        Figure("requests to the site in the run", f"{site['requests']} in {run.wall:.0f} s"),
        Figure("refund flows/s (one site)", f"{per_second:.2f}"),
        Figure("worker RSS (largest seen)", f"{run.sampler.max_rss / MIB:.0f} MiB"),
        Figure("worker processes", str(run.sampler.processes)),
    ]
    result.checks += _refund_checks(run, len(stack.fake_events))
    result.notes += [
        f"finished {finished} of {len(run.answers.event_ids)} within the {sizes.window_seconds:g} s; "
        f"statuses {dict(run.counts)} (the rest were still waiting for budget: not lost)",
    ]
    return result


# -- latency ---------------------------------------------------------------------------------------


def latency(bench: Bench) -> PartResult:
    """A steady 50 events/s (no flow handles them) to an idle default worker; receive → first finish."""
    sizes = bench.sizes
    count = int(sizes.pace_per_second * sizes.pace_seconds)
    with part_stack(bench, "latency", "pg") as stack:
        stack.migrate()
        stack.start_receiver_ready()
        stack.start_workers_ready(())
        webhooks = sign_unhandled(stack.private_pem, WARM_UP + count)
        engine = _engine(stack)
        warm = post_all(stack.receiver_url, webhooks[:WARM_UP], senders=1)  # connections and imports
        wait_done(engine, len(warm.event_ids), sizes.settle_seconds)
        time.sleep(2.0)  # idle: nothing queued, the doorbell quiet
        bench.say(f"latency: {count} events at {sizes.pace_per_second:g}/s")
        answers = post_paced(stack.receiver_url, webhooks[WARM_UP:], per_second=sizes.pace_per_second)
        counts, done = wait_done(engine, WARM_UP + len(answers.event_ids), sizes.settle_seconds)
        measured = set(answers.event_ids)
        times = {e: t for e, t in event_times(engine).items() if e in measured}
        engine.dispose()
    waits = [
        1000 * (t.first_finished - t.received_at).total_seconds()
        for t in times.values()
        if t.first_finished is not None
    ]
    p50, p99 = percentile(waits, 0.5), percentile(waits, 0.99)
    result = PartResult(
        "latency",
        f"{count} events no flow handles at {sizes.pace_per_second:g}/s (open loop) to an idle "
        "`wix-meetings worker` (its defaults), PostgreSQL + Redis; receive = the event's `received_at`, "
        f"done = its first attempt's `finished_at`; after {WARM_UP} warm-up events and 2 s idle",
    )
    result.figures += [
        Figure(
            "receive → first attempt finished, p50",
            f"**{p50:.0f} ms**",
            f"≤ {LATENCY_P50_TARGET_MS:g} ms",
            p50 <= 20,
        ),
        Figure(
            "receive → first attempt finished, p99",
            f"**{p99:.0f} ms**",
            f"≤ {LATENCY_P99_TARGET_MS:g} ms",
            p99 <= 100,
        ),
        Figure("max", f"{max(waits, default=float('nan')):.0f} ms"),
    ]
    result.checks += [checks.nothing_lost(answers, times, count), checks.no_bookings()]
    result.notes.append(
        f"finished {len(waits)} of {count}" + ("" if done else " (bound reached)") + f"; {dict(counts)}"
    )
    return result


PARTS: dict[str, Callable[[Bench], PartResult]] = {
    "drain-pg": lambda bench: drain(bench, "pg"),
    "drain-sqlite": lambda bench: drain(bench, "sqlite"),
    "cpu": cpu_per_flow,
    "refunds": refunds,
    "rate-window": rate_window,
    "latency": latency,
}
