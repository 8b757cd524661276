"""Rendering rows for the terminal: table, JSON or CSV."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Sequence

import click

FORMATS = ("table", "json", "csv")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def render_rows(columns: Sequence[str], rows: Iterable[dict[str, Any]], fmt: str) -> str:
    rows = list(rows)
    if fmt == "json":
        return json.dumps(rows, indent=2, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buf.getvalue().rstrip("\n")
    widths = [max([len(c)] + [len(_cell(r.get(c))) for r in rows]) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_cell(r.get(c)).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                             show_default=True, help="Output format.")
