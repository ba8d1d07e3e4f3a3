"""Events per minute by status over 24 hours, as the geometry of a server-rendered SVG (no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Drawing order, bottom to top of each stacked bar.
STATUS_ORDER = ("succeeded", "skipped", "ignored", "processing", "queued", "received", "failed", "dead")
WIDTH, HEIGHT = 1200, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    y_labels: list[Label]
    x_labels: list[Label]
    grid: list[float]
    statuses: list[str]
    total: int
    peak_per_minute: float


def build_chart(
    series: dict[str, list[tuple[datetime, int]]],
    *,
    since: datetime,
    hours: int = 24,
    bucket_minutes: int = 10,
) -> Chart:
    """Stacked bars, one per bucket, in events per minute; y axis with round steps, x labels every 3 h."""
    buckets = hours * 60 // bucket_minutes
    counts: list[dict[str, int]] = [{} for _ in range(buckets)]
    for status, points in series.items():
        for start, count in points:
            index = int((start - since).total_seconds() // 60) // bucket_minutes
            if 0 <= index < buckets:
                counts[index][status] = counts[index].get(status, 0) + count
    peak = max((sum(c.values()) for c in counts), default=0) / bucket_minutes
    top = _nice_ceiling(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / buckets
    bars: list[Bar] = []
    statuses = [s for s in STATUS_ORDER if s in series] + sorted(set(series) - set(STATUS_ORDER))
    for index, bucket in enumerate(counts):
        base = 0.0
        start = since + timedelta(minutes=index * bucket_minutes)
        for status in statuses:
            count = bucket.get(status, 0)
            if not count:
                continue
            rate = count / bucket_minutes
            height = plot_h * rate / top
            y = TOP + plot_h - base - height
            title = f"{start:%H:%M} UTC: {count} {status} ({rate:.1f}/min)"
            bars.append(Bar(LEFT + index * step + 0.5, y, max(step - 1, 1), height, status, title))
            base += height
    grid = [TOP + plot_h * i / 4 for i in range(5)]
    y_labels = [Label(LEFT - 6, TOP + plot_h * i / 4 + 4, _rate(top * (4 - i) / 4)) for i in range(5)]
    x_labels = []
    for hour in range(0, hours + 1, 3):
        moment = since + timedelta(hours=hour)
        anchor = "start" if hour == 0 else "end" if hour == hours else "middle"
        x_labels.append(Label(LEFT + plot_w * hour / hours, HEIGHT - 8, f"{moment:%H:%M}", anchor))
    total = sum(sum(c.values()) for c in counts)
    return Chart(WIDTH, HEIGHT, bars, y_labels, x_labels, grid, statuses, total, peak)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def _rate(value: float) -> str:
    return f"{value:g}"
