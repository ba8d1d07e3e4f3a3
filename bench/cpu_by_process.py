"""Where the box's CPU goes during a benchmark: cores used per process, between two snapshots.

    .venv/bin/python bench/cpu_by_process.py [--wait 16] [--seconds 20] [--top 12]

Start it beside a benchmark (e.g. `python -m bench.processing --part refunds`): after `--wait`
seconds it reads every process's utime + stime from /proc, again `--seconds` later, and prints the
cores each used in between, busiest first (all PostgreSQL backends as one line, all Redis servers as
another). Linux only; reads, never signals.
"""

from __future__ import annotations

import argparse
import os
import time

TICKS = os.sysconf("SC_CLK_TCK")


def snapshot() -> dict[int, tuple[int, str]]:
    """{pid: (CPU ticks so far, command line)} of every process readable now."""
    found: dict[int, tuple[int, str]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone meanwhile
            continue
        found[int(name)] = (int(fields[11]) + int(fields[12]), command[:110])
    return found


def group(command: str) -> str:
    if "postgres" in command:
        return "postgres (all backends)"
    if "redis-server" in command:
        return "redis-server (all)"
    return command or "(kernel threads)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wait", type=float, default=16.0, help="seconds before the first snapshot")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds between the snapshots")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    time.sleep(args.wait)
    before, started = snapshot(), time.monotonic()
    time.sleep(args.seconds)
    after, elapsed = snapshot(), time.monotonic() - started
    cores: dict[str, float] = {}
    for pid, (ticks, command) in after.items():
        used = ticks - before.get(pid, (0, ""))[0]
        if used > 0:
            cores[group(command)] = cores.get(group(command), 0.0) + used / TICKS / elapsed
    for name, used in sorted(cores.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{used:5.2f} cores  {name}")
    print(f"{sum(cores.values()):5.2f} cores in all over {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
