"""`python -m bench.processing [--part NAME]... [--quick] [--set NAME=VALUE]...`: exit 1 on a failed check."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench.processing import report
from bench.processing.config import FULL, QUICK
from bench.processing.parts import PARTS, Bench
from bench.processing.report import PartResult
from bench.soak.stack import REPO

RESULTS = REPO / "bench" / "results"


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.processing", description=__doc__)
    parser.add_argument(
        "--part", action="append", choices=sorted(PARTS), help="run only this part (repeatable; default all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller and shorter parts (~2 min)")
    parser.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every product process (e.g. WORKER_CONCURRENCY=8)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="directory of the results file")
    parser.add_argument(
        "--window-seconds", type=float, default=None, help="length of the rate-window part (120; quick 30)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.window_seconds is not None:
        sizes = replace(sizes, window_seconds=args.window_seconds)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
    bench = Bench(REPO / "var" / "bench-processing" / stamp, sizes, dict(args.settings))
    bench.run_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    began = time.monotonic()
    results: list[PartResult] = []
    try:
        for name in args.part or list(PARTS):
            bench.say(f"part {name}")
            started = time.monotonic()
            try:
                result = PARTS[name](bench)
            except Exception as exc:
                traceback.print_exc()
                result = PartResult(name, "(did not finish)", error=f"{type(exc).__name__}: {exc}")
            result.seconds = time.monotonic() - started
            results.append(result)
            bench.say(f"part {name} done in {result.seconds:.0f} s: {len(result.failed())} failed check(s)")
    except KeyboardInterrupt:
        print("bench-processing interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    command = shlex.join(["python", "-m", "bench.processing", *(argv if argv is not None else sys.argv[1:])])
    text = report.render(
        results, command=command, repo=REPO, logs=bench.run_dir, wall=time.monotonic() - began
    )
    path = args.results / f"processing-{stamp}.md"
    report.write(path, text)
    print(text)
    bench.say(f"results: {path}")
    return 1 if any(r.failed() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
