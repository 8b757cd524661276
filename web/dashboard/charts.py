"""Bar charts and heatmap colours as plain numbers for the templates to draw as inline SVG.

No chart library and no script: the geometry is computed here and the SVG is written by a
Jinja macro, so the pages render the same offline, in any browser, and in tests.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as printed beside the bar
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    height: float
    label_width: float = 150
    bar_space: float = 260
    row: float = 22


def bar_chart(title: str, items: Iterable[tuple[str, float]], *, unit: str = "",
              limit: int = 12, ordered: bool = False) -> BarChart:
    """Horizontal bars scaled to the largest value. Unordered items are ranked and the
    first `limit` shown; `ordered` items (bins of a scale) are all shown, in their order,
    since dropping the end of a scale hides the largest values."""
    items = list(items) if ordered else sorted(items, key=lambda kv: -kv[1])[:limit]
    top = max((v for _, v in items), default=0) or 1
    chart = BarChart(title, (), 0)
    bars = tuple(Bar(label, value, f"{_number(value)}{unit}", i * chart.row,
                     max(1.0, chart.bar_space * value / top)) for i, (label, value) in enumerate(items))
    # Room for the longest label at the chart's 12 px font (about 7 px a character).
    longest = max((len(str(label)) for label, _ in items), default=0)
    return BarChart(title, bars, len(bars) * chart.row + 4,
                    label_width=min(260, max(80, 7 * longest + 12)))


def counted(title: str, tally: Mapping[str | None, int], **kw) -> BarChart:
    """Bars of how many times each value was counted (`tally`: value -> count)."""
    counts: Counter = Counter()
    for value, n in tally.items():
        counts[value or "unknown"] += n
    return bar_chart(title, counts.items(), **kw)


def size_buckets(tally: Mapping[int | None, int]) -> list[tuple[str, float]]:
    """Counts per power-of-two size class (≤ 64 KiB, ≤ 128 KiB, ...), in size order, of the
    sizes in `tally` (size -> how many)."""
    counts: Counter = Counter()
    for value, n in tally.items():
        if value is None:
            counts["unknown"] += n
            continue
        bucket = 64 * 1024
        while bucket < value:
            bucket *= 2
        counts[bucket] += n
    known = sorted(k for k in counts if k != "unknown")
    out = [(f"≤ {human_bytes(k)}", counts[k]) for k in known]
    if counts["unknown"]:
        out.append(("unknown", counts["unknown"]))
    return out


def human_bytes(value: int | None) -> str:
    if value is None:
        return "–"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{value} B"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"
