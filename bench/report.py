"""Render bench/run-ingest.sh's results.jsonl as the markdown table of bench/results/ingest-<date>.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

P99_TARGET_MS = 50.0
RATIO_TARGET = 0.60
NAMES = {"verify": "verify-only", "pg": "product, PostgreSQL + Redis", "sqlite": "product, SQLite (embedded)"}


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _stored(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[int, int, int] | None:
    """(new events, of which queued-or-later, still received) between two counts."""
    if not before or not after:
        return None
    b, a = before["by_status"], after["by_status"]
    total = sum(a.values()) - sum(b.values())
    received = a.get("received", 0) - b.get("received", 0)
    return total, total - received, received


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(cmd: list[str]) -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            return done.stdout.strip().splitlines()[0]
        except Exception:
            return "?"

    import gunicorn
    import jwt
    import sqlalchemy

    return (
        f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
        f"gunicorn {gunicorn.__version__} (sync), PyJWT {jwt.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, "
        f"{version(['wrk', '--version'])}, {version(['psql', '--version'])}, "
        f"redis {version(['redis-server', '--version']).split(' v=')[-1].split(' ')[0]}"
    )


def render(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    out = [
        f"# Ingest benchmark — {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {_machine()}.",
        "Loopback; wrk and the pacer share the 2 CPUs with the server, PostgreSQL and Redis; whatever "
        "else ran on the machine shows in the load averages per run below: treat single runs as ±15 %.",
        f"Whole run: {args.seconds} s. Max: `wrk -t2 -c8 -d{args.max_seconds}s`, every request a distinct "
        f"signed token. Fixed rate: bench/pace.py, open loop, {args.rate:g}/s for {args.rate_seconds} s. "
        "No Celery worker runs: the broker queue only fills, and is flushed after.",
        "",
        "| server | workers | max req/s | max p50 ms | max p99 ms | 200s | new in store | lost | "
        f"queued | {args.rate:g}/s p50 ms | p99 ms | max ms | 200s / sent | store / queued | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    throughput: dict[tuple[str, int], float] = {}
    verdicts: list[str] = []
    for r in rows:
        m, p = r["max"], r["pace"]
        rps = m["requests"] / (m["duration_us"] / 1e6)
        ok = m["requests"] - m["non2xx"]
        throughput[(r["target"], r["workers"])] = rps
        s_max = _stored(r["c1"], r["c2"])
        s_pace = _stored(r["c0"], r["c1"])
        if s_max:
            new, queued, _ = s_max
            lost = max(0, ok - new)
            store_cols = f"{new} | {lost} | {queued} ({100 * queued / max(new, 1):.0f} %)"
        else:
            store_cols = "n/a | n/a | n/a"
        wrapped = " ⚠ tokens wrapped" if m["wrapped_threads"] else ""
        pace_store = f"{s_pace[0]} / {s_pace[1]}" if s_pace else "n/a"
        out.append(
            f"| {NAMES[r['target']]} | {r['workers']} | **{rps:.0f}**{wrapped} | {_ms(m['p50_us'])} | "
            f"{_ms(m['p99_us'])} | {ok} | {store_cols} | {_ms(p['p50_us'])} | **{_ms(p['p99_us'])}** | "
            f"{_ms(p['max_us'])} | {p['ok']} / {p['requests']} | {pace_store} | {' → '.join(r['load'])} |"
        )
        if r["target"] != "verify":
            met = p["p99_us"] / 1000 < P99_TARGET_MS and p["ok"] == p["requests"]
            verdicts.append(
                f"- {NAMES[r['target']]}, {r['workers']} workers: p99 at {args.rate:g}/s = "
                f"{_ms(p['p99_us'])} ms → {'meets' if met else 'MISSES'} the < {P99_TARGET_MS:g} ms target."
            )
    out += [
        "",
        "Ratios, product ÷ verify-only max throughput (same run, same worker count; target ≥ 60 % on "
        "PostgreSQL + Redis):",
        "",
    ]
    for (target, workers), rps in throughput.items():
        base = throughput.get(("verify", workers))
        if target == "verify" or not base:
            continue
        ratio = rps / base
        mark = ""
        if target.startswith("pg"):
            mark = " → meets" if ratio >= RATIO_TARGET else " → MISSES the target"
        share = f"{rps:.0f} / {base:.0f} = **{100 * ratio:.0f} %**"
        out.append(f"- {NAMES[target]}, {workers} workers: {share}{mark}")
    out += ["", *verdicts, ""]
    out += [
        "Columns: *200s* = answers 200 counted by wrk; *new in store* = events the store gained during "
        "the run (it may exceed the 200s by the ≤ 8 requests wrk abandons in flight at its deadline); "
        "*lost* = 200s not in the store (must be 0); *queued* = of those, how many the doorbell "
        "published (status left `received`), counted after ≤ 6 s of settling. The fixed-rate p50/p99 are "
        "measured from the moment each request is written, on an open-loop schedule (bench/pace.py).",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=0)
    parser.add_argument("--max-seconds", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--rate-seconds", type=int, default=10)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    text = render(rows, args)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
