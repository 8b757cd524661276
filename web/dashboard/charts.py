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
    args: Mapping[str, object] | None = None  # the filters of the list this bar counts


# A chart's item: (label, value), or (label, value, the list's filters for the bar's link).
Item = tuple


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    height: float
    label_width: float = 150
    bar_space: float = 260
    row: float = 22
    endpoint: str | None = None  # the list a bar links to, with its `args` as filters


def bar_chart(title: str, items: Iterable[Item], *, unit: str = "",
              limit: int = 12, ordered: bool = False, endpoint: str | None = None) -> BarChart:
    """Horizontal bars scaled to the largest value. Unordered items are ranked and the
    first `limit` shown; `ordered` items (bins of a scale) are all shown, in their order,
    since dropping the end of a scale hides the largest values. With `endpoint`, a bar whose
    item carries filters links to that list filtered so."""
    items = [tuple(item) + (None,) * (3 - len(item)) for item in items]
    items = items if ordered else sorted(items, key=lambda item: -item[1])[:limit]
    top = max((item[1] for item in items), default=0) or 1
    chart = BarChart(title, (), 0)
    bars = tuple(Bar(label, value, f"{_number(value)}{unit}", i * chart.row,
                     max(1.0, chart.bar_space * value / top), args)
                 for i, (label, value, args) in enumerate(items))
    # Room for the longest label at the chart's 12 px font (about 7 px a character).
    longest = max((len(str(item[0])) for item in items), default=0)
    return BarChart(title, bars, len(bars) * chart.row + 4,
                    label_width=min(260, max(80, 7 * longest + 12)), endpoint=endpoint)


def counted(title: str, tally: Mapping[str | None, int], *, field: str | None = None,
            **kw) -> BarChart:
    """Bars of how many times each value was counted (`tally`: value -> count); with
    `field`, each known value's bar filters its list by `field=value`."""
    counts: Counter = Counter()
    for value, n in tally.items():
        counts[value or "unknown"] += n
    return bar_chart(title, [(value, n, {field: value} if field and value != "unknown" else None)
                             for value, n in counts.items()], **kw)


def size_buckets(tally: Mapping[int | None, int], field: str = "ram") -> list[Item]:
    """Counts per power-of-two size class (≤ 64 KiB, ≤ 128 KiB, ...), in size order, of the
    sizes in `tally` (size -> how many), each with the filters of its class
    (`min_<field>`, `max_<field>` in bytes)."""
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
    out: list[Item] = [(f"≤ {human_bytes(k)}", counts[k],
                        {f"min_{field}": k // 2 + 1 if k > 64 * 1024 else None, f"max_{field}": k})
                       for k in known]
    if counts["unknown"]:
        out.append(("unknown", counts["unknown"], None))
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
