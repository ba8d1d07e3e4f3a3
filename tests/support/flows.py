"""Flows that exist only in the test worker: each behaves as its event type says."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from processor import deadline
from processor.store.ledger import Ledger
from processor.wix_event import WixEvent
from workers.flows import PermanentFailure, RetryLater, Succeeded, handles


def _record_effect(name: str) -> None:
    """A real side effect a duplicate would double: one line appended to a file."""
    with Path(os.environ["TEST_EFFECTS_FILE"]).open("a") as effects:
        effects.write(name + "\n")


@handles("test.succeeds")
def succeed(event: WixEvent, *, ledger: Ledger) -> Succeeded:
    with ledger.once(f"test-effect:{event.entity_id}") as first_time:
        if first_time:
            _record_effect(f"effect:{event.entity_id}")
    return Succeeded("did the test effect")


@handles("test.keeps_calling")
def keep_calling(event: WixEvent) -> Succeeded:
    """A flow that makes call after call (as one waiting on a slow Wix would) and never ends by itself."""
    _record_effect(f"calling:{event.entity_id}")
    while True:
        deadline.check("the next call")  # what every Wix call does first (processor/wix/transport.py)
        time.sleep(0.05)


@handles("test.fails_always")
def fail_always(event: WixEvent) -> Succeeded:
    raise RuntimeError("this flow always fails")


@handles("test.permanent")
def fail_permanently(event: WixEvent) -> Succeeded:
    raise PermanentFailure("Wix said no: INVALID_ARGUMENT")


@handles("test.retry_after")
def ask_for_later(event: WixEvent) -> Succeeded:
    raise RetryLater("come back later", retry_after=float(event.body.get("seconds", 120)))  # type: ignore[union-attr]


@handles("test.slow")
def run_slowly(event: WixEvent, *, ledger: Ledger) -> Succeeded:
    """Marks that it started; the first run sleeps (so a test can kill it); the effect happens once."""
    effects = Path(os.environ["TEST_EFFECTS_FILE"])
    first_run = not effects.exists() or f"started:{event.entity_id}" not in effects.read_text()
    _record_effect(f"started:{event.entity_id}")
    if first_run:
        time.sleep(float((event.body or {}).get("seconds", 5)))
    with ledger.once(f"test-slow:{event.entity_id}") as first_time:
        if first_time:
            _record_effect(f"effect:{event.entity_id}")
    return Succeeded()


@handles("test.kills_worker")
def kill_the_worker(event: WixEvent) -> Succeeded:
    """Dies as an out-of-memory kill or a segfault would: at once, no exception, no finish recorded."""
    _record_effect(f"killed:{event.entity_id}")
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


@handles("test.records_run")
def record_each_run(event: WixEvent, *, ledger: Ledger) -> Succeeded:
    """Every run leaves a line (a second run would show); slow enough that deliveries overlap."""
    _record_effect(f"ran:{event.entity_id}")
    time.sleep(float((event.body or {}).get("seconds", 0.5)))
    with ledger.once(f"test-run:{event.entity_id}") as first_time:
        if first_time:
            _record_effect(f"effect:{event.entity_id}")
    return Succeeded()
