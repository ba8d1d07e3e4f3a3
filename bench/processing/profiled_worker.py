"""A Celery worker under yappi (every thread, CPU clock): the black-box worker's own profile.

    .venv/bin/python -m bench.processing.profiled_worker OUT.pstats [celery worker args]

`wix-meetings worker` execs `celery -A workers worker --pool=threads --concurrency=32 ...`; this runs
that same worker (its arguments after OUT; default the product's) in this process, profiled.

yappi (`pip install yappi`, not a project dependency) counts each thread's CPU time, so a threads-pool
worker's tasks, the consumer and Celery's own loops are all in it; the stats are written as pstats
to OUT every 5 s and when the process exits (the harness kills a worker 5 s after its SIGTERM, so
the last periodic dump is the one that counts).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time

DEFAULT_WORKER = [
    "--loglevel=INFO", "--pool=threads", "--concurrency=32", "--without-gossip", "--without-mingle"
]  # fmt: skip


def main() -> None:
    import yappi  # type: ignore[import-not-found,unused-ignore]  # by hand: pip install yappi

    out, args = sys.argv[1], sys.argv[2:]
    sys.argv[1:] = ["-A", "workers", "worker", *(args or DEFAULT_WORKER)]
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)

    lock = threading.Lock()

    def dump() -> None:
        with lock:
            yappi.get_func_stats().save(out + ".tmp", type="pstat")
            os.replace(out + ".tmp", out)

    def every_five_seconds() -> None:
        while True:
            time.sleep(5)
            dump()

    threading.Thread(target=every_five_seconds, daemon=True, name="yappi-dump").start()
    atexit.register(dump)
    from celery.__main__ import main as celery

    celery()


if __name__ == "__main__":
    main()
