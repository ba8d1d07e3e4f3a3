"""`python -m bench.soak [--short] [--seed N] [...]`: the fault soak; exit 1 on any violation."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from bench.soak.config import preset
from bench.soak.run import run

RESULTS = Path(__file__).resolve().parents[1] / "results"  # bench/results: the full soak's, committed
SHORT_RESULTS = Path(__file__).resolve().parents[2] / "var" / "soak"  # make test's, not committed


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the ~2-minute day of make soak-short")
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the day, the faults and the deliveries (1)"
    )
    parser.add_argument("--sites", type=int, default=None)
    parser.add_argument("--bookings", type=int, default=None)
    parser.add_argument("--day-seconds", type=float, default=None)
    parser.add_argument(
        "--budget-seconds", type=float, default=None, help="bound of the whole run (900; short 240)"
    )
    parser.add_argument(
        "--lost-answer", type=float, default=None, help="share of Wix writes applied, answer lost"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="directory of the results file (bench/results; --short: var/soak)",
    )
    args = parser.parse_args(argv)
    config = preset(
        "short" if args.short else "full",
        seed=args.seed,
        sites=args.sites,
        bookings=args.bookings,
        day_seconds=args.day_seconds,
        budget_seconds=args.budget_seconds,
        lost_answer=args.lost_answer,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        return run(config, results_dir=args.results or (SHORT_RESULTS if args.short else RESULTS))
    except KeyboardInterrupt:
        print("soak interrupted; everything it started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
