"""A dashboard table as CSV or JSON (`?_format=csv|json`), the rows the page shows with its
filters, order and page, so what a person sees is what they download."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Mapping

from flask import Response

from tinyreg.registry.errors import Invalid

FORMATS = ("csv", "json")


def wanted_format(args: Mapping[str, str]) -> str | None:
    fmt = (args.get("_format") or "").strip().lower()
    if fmt and fmt not in FORMATS:
        raise Invalid(f"`_format` must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt or None


def table_response(listing: dict[str, Any], fmt: str, name: str) -> Response:
    rows = listing["items"]
    if fmt == "json":
        body, mimetype = json.dumps(listing, indent=1, default=str), "application/json"
    else:
        out = io.StringIO()
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                             for k, v in row.items()})
        body, mimetype = out.getvalue(), "text/csv"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def match_rows(compat: dict[str, Any]) -> dict[str, Any]:
    """A page's fit table (fitting rows, then the others) as export rows: one line each, the
    two answers (runs, fits: true, false or empty for unknown), the latency estimate in ms
    and the reason as the table shows them."""
    rows = [{"id": r["id"], "name": r["name"], "runs": r.get("runs"), "fits": r["fits"],
             "warned": r["warned"],
             "latency_ms": (r.get("latency_ms") or {}).get("estimate"), "reason": r["reason"],
             "iri": r["iri"]} for r in compat["fits"] + compat["misfits"]]
    return {"items": rows, "total": compat["total"], "fitting": compat["fitting"]}
