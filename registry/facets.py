"""Facets of the device and model lists, as Datasette shows them: each value of a field with
how many rows the list's current filters keep have it, and the filters those values set.

Counts come from rows held in memory (the listing's rows, the devices' facet rows kept from
the change log) and, for "fits model X", from the fleet engine's verdicts: never a query per
facet. They are kept per filter until the store changes, so paging and sorting a list of
100,000 devices does not count it again.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from .errors import Invalid
from .listing import per_revision
from .vocab import local_name, version_iri

if TYPE_CHECKING:
    from .core import Registry

# A facet's name (the parameter that filters by a value) and the row field it counts; a
# list-valued field (a device's sensors) counts a row under each of its values. `fits`
# counts the model versions' verdicts, not a field.
DEVICE_FACETS: dict[str, str | None] = {
    "kind": "kind", "core": "core", "vendor": "vendors", "sensor": "sensors",
    "runtime": "runtimes", "connectivity": "connectivity", "format": "format", "fits": None}
MODEL_FACETS: dict[str, str | None] = {"task": "task"}
# The facets whose values are filters of the device list beyond its own rows' fields.
FACT_FILTERS = ("vendor", "sensor", "runtime", "connectivity")
VALUES_SHOWN = 30  # values listed per facet, most frequent first; `more` counts the rest
_HELD = 64  # filters whose counts are kept until the store changes

_NONE: dict[str, Any] = {}


def wanted(names: Iterable[str], known: Mapping[str, Any]) -> tuple[str, ...]:
    """The facets `names` asks for (each may be comma-separated), each known, in order."""
    found = tuple(dict.fromkeys(n.strip() for v in names for n in v.split(",") if n.strip()))
    unknown = [n for n in found if n not in known]
    if unknown:
        raise Invalid(f"`_facet` must name some of {', '.join(known)}, got {unknown[0]!r}")
    return found


def _facts(registry: Registry, fields: Iterable[str | None]) -> Mapping[str, dict[str, Any]]:
    """The devices' facet rows by IRI, read only when one of `fields` is among them."""
    from .devices.rows import FACET_FIELDS, device_facets
    return device_facets(registry).by_iri if set(fields) & set(FACET_FIELDS) else _NONE


def _values(row: dict[str, Any], field: str, facts: Mapping[str, dict[str, Any]]) -> list:
    """The row's values of `field`: its own, or its device's facet row's."""
    value = row[field] if field in row else facts.get(row["iri"], _NONE).get(field)
    return value if isinstance(value, list) else [] if value is None else [value]


def fitting(registry: Registry, versions: list[str], rows: list[dict[str, Any]]) -> np.ndarray:
    """Bools, a row per version and a column per row: whether the version fits that row's
    device, as the fleet engine judges (a device the engine does not hold fits nothing)."""
    from .compat import fleet_engine, matrix
    held = fleet_engine(registry).fleet.device_index
    at = [i for i, row in enumerate(rows) if row["iri"] in held]
    out = np.zeros((len(versions), len(rows)), dtype=bool)
    if at and versions:
        grid = matrix(registry, versions, [rows[i]["iri"] for i in at])
        for m in range(len(versions)):
            out[m, at] = grid.row(m)
    return out


def narrowed(registry: Registry, rows: list[dict[str, Any]], values: Mapping[str, str],
             fits: str = "") -> list[dict[str, Any]]:
    """The rows whose device has each facet value in `values` (FACT_FILTERS, any case) and,
    with `fits`, that the model version it names (slug: its latest) fits."""
    chosen = {DEVICE_FACETS[name]: value.strip().lower() for name, value in values.items()
              if value and value.strip()}
    facts = _facts(registry, chosen)
    for field, value in chosen.items():
        rows = [r for r in rows if any(str(v).lower() == value for v in _values(r, field, facts))]
    if fits.strip():
        from .references import resolve_model
        version = resolve_model(registry, fits.strip())  # unknown: an error, rows or none
        keep = fitting(registry, [version], rows)[0].tolist() if rows else []
        rows = [r for r, ok in zip(rows, keep) if ok]
    return rows


def _counted(rows: list[dict[str, Any]], field: str, facts: Mapping[str, dict[str, Any]]) -> dict:
    counts = Counter(v for row in rows for v in _values(row, field, facts))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0]).lower()))
    return {"values": [{"value": v, "count": n} for v, n in ranked[:VALUES_SHOWN]],
            "more": max(0, len(ranked) - VALUES_SHOWN)}


def _fits_facet(registry: Registry, rows: list[dict[str, Any]]) -> dict:
    """How many of `rows` each model's latest version fits, most first (none: not listed)."""
    from .models import list_models
    versions = [(f"{local_name(r['model'])}@{int(r['latest'])}", str(r["name"]),
                 version_iri(local_name(r["model"]), int(r["latest"])))
                for r in list_models(registry)]
    grid = fitting(registry, [iri for _, _, iri in versions], rows)
    counted = [{"value": ref, "label": name, "count": int(row.sum())}
               for (ref, name, _), row in zip(versions, grid) if row.any()]
    counted.sort(key=lambda v: (-v["count"], v["label"].lower()))
    return {"values": counted[:VALUES_SHOWN], "more": max(0, len(counted) - VALUES_SHOWN)}


def counts(registry: Registry, rows: list[dict[str, Any]], names: tuple[str, ...],
           known: Mapping[str, str | None], where: Any) -> dict[str, dict]:
    """Each facet in `names` over `rows` (every row the filter `where` keeps), as
    {name: {"values": [{"value", "count"[, "label"]}], "more": N}}; kept per filter (its
    order aside) until the store changes."""
    key = (tuple(known), names, replace(where, sort=""))
    held = per_revision(registry, "facets.counts", dict)
    if key not in held:
        if len(held) >= _HELD:
            held.clear()  # the filters people try are few; a crowd of others starts afresh
        facts = _facts(registry, (known[name] for name in names))
        held[key] = {name: _fits_facet(registry, rows) if known[name] is None
                     else _counted(rows, known[name], facts) for name in names}
    return held[key]
