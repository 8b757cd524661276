"""Facets of the device and model lists, as Datasette shows them: each value of a field with
how many rows the list's current filters keep have it, and the filters those values set.

A device list's counts come from its facet codes (devices/facet_codes.py: each value's count
over every device kept from the change log, and NumPy arrays for the counts over the devices
a filter keeps) and, for "fits model X", from the compatibility engine's verdicts: never a
query per facet, nor a Python loop over every device's values.
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
_HELD = 64  # model list filters whose counts are kept until the store changes


def wanted(names: Iterable[str], known: Mapping[str, Any]) -> tuple[str, ...]:
    """The facets `names` asks for (each may be comma-separated), each known, in order."""
    found = tuple(dict.fromkeys(n.strip() for v in names for n in v.split(",") if n.strip()))
    unknown = [n for n in found if n not in known]
    if unknown:
        raise Invalid(f"`_facet` must name some of {', '.join(known)}, got {unknown[0]!r}")
    return found


def _counted(counts: Mapping[Any, int]) -> dict:
    ranked = sorted(((v, n) for v, n in counts.items() if n), key=lambda item: (-item[1], str(item[0]).lower()))
    return {"values": [{"value": v, "count": n} for v, n in ranked[:VALUES_SHOWN]],
            "more": max(0, len(ranked) - VALUES_SHOWN)}


def _everything(where: Any) -> bool:
    """Whether the filter `where` keeps every row (its order aside)."""
    return replace(where, sort="") == type(where)()


def _verdicts(registry: Registry, engine: Any, versions: tuple[str, ...]) -> np.ndarray:
    """Bools, a row per version and a column per device of `engine`: whether it fits. Kept
    for the last compiled constraints asked: an engine kept through a record write shares
    its compiled arrays with the one before, and so its verdicts."""
    models = tuple(engine.model(v) for v in versions)
    held = registry.cache.get("facets.verdicts")
    if held is None or held[0] is not engine.compiled or held[1] != models:
        fits = engine.outcomes(np.array(models, dtype=np.intp)).fits_yes
        held = registry.cache["facets.verdicts"] = (engine.compiled, models, fits)
    return held[2]


def _engine_columns(registry: Registry, engine: Any, codes: Any) -> np.ndarray:
    """Each facet-code slot's column in `engine`'s verdicts, -1 where it holds no device.
    The devices' term ids are kept while the engine's terms are the same (a refresh keeps
    them): only slots whose device changed, or that the engine did not know, are looked up
    again (looking up 100,000 IRIs took 0.7 s through the engine's device index)."""
    fleet = engine.fleet
    terms, iris = fleet.terms, codes.iris
    held = registry.cache.get("facets.term_ids")
    ids = np.zeros(len(iris), dtype=np.int64)
    redo = iris != None  # noqa: E711 - elementwise: the slots that hold a device
    if held is not None and held[0] is terms:
        before, was = held[1], held[2]
        common = min(len(before), len(iris))
        ids[:common] = was[:common]
        same = (was[:common] != 0) if before is iris else \
            (was[:common] != 0) & (before[:common] == iris[:common])
        redo[:common] &= ~same
    for at in np.flatnonzero(redo).tolist():
        ids[at] = terms.iri(iris[at]) or 0
    ids[iris == None] = 0  # noqa: E711
    registry.cache["facets.term_ids"] = (terms, iris, ids)
    return np.where(ids > 0, fleet.position("device")[ids], -1)


def _columns(registry: Registry, versions: list[str]) -> tuple[np.ndarray, np.ndarray, Any]:
    """The verdicts of `versions` (engine_for's engine), each slot's column in them, and
    the facet codes."""
    from .compat.engine import engine_for
    from .devices.facet_codes import facet_codes
    engine, codes = engine_for(registry, *versions), facet_codes(registry)
    # The columns follow from the engine's device list (its positions) and the slots' IRIs.
    key = (engine.fleet.position("device"), codes.iris)
    held = registry.cache.get("facets.columns")
    if held is None or held[0] is not key[0] or held[1] is not key[1]:
        held = registry.cache["facets.columns"] = (*key, _engine_columns(registry, engine, codes))
    return _verdicts(registry, engine, tuple(versions)), held[2], codes


def fitting(registry: Registry, versions: list[str], rows: list[dict[str, Any]]) -> np.ndarray:
    """Bools, a row per version and a column per row: whether the version fits that row's
    device, as the engine judges (a device the engine does not hold fits nothing). While
    another thread brings the engine up to date after a write, that is the engine from
    before it (compat.engine.engine_for)."""
    out = np.zeros((len(versions), len(rows)), dtype=bool)
    if not versions or not rows:
        return out
    verdicts, columns, codes = _columns(registry, versions)
    at = codes.at(row["iri"] for row in rows)
    at = np.where(at >= 0, columns[at], -1)
    known = at >= 0
    out[:, known] = verdicts[:, at[known]]
    return out


def _fitting_everything(registry: Registry, versions: list[str]) -> np.ndarray:
    """How many of all the devices each version fits: `fitting` summed over every row."""
    if not versions:
        return np.zeros(0, dtype=np.intp)
    verdicts, columns, _ = _columns(registry, versions)
    return np.count_nonzero(verdicts[:, columns[columns >= 0]], axis=1)


def narrowed(registry: Registry, rows: list[dict[str, Any]], values: Mapping[str, str],
             fits: str = "") -> list[dict[str, Any]]:
    """The rows whose device has each facet value in `values` (FACT_FILTERS, any case) and,
    with `fits`, that the model version it names (slug: its latest) fits."""
    chosen = {DEVICE_FACETS[name]: value.strip().lower() for name, value in values.items()
              if value and value.strip()}
    if chosen:
        from .devices.facet_codes import facet_codes
        codes = facet_codes(registry)
        keep = np.ones(codes.size, dtype=bool)
        for field, value in chosen.items():
            keep &= codes.having(field, value)
        slots = codes.slots
        rows = [r for r in rows if (at := slots.get(r["iri"])) is not None and keep[at]]
    if fits.strip():
        from .references import resolve_model
        version = resolve_model(registry, fits.strip())  # unknown: an error, rows or none
        keep = fitting(registry, [version], rows)[0].tolist() if rows else []
        rows = [r for r, ok in zip(rows, keep) if ok]
    return rows


def _latest_versions(registry: Registry) -> list[tuple[str, str, str]]:
    """(slug@N, name, version IRI) of each model's latest version."""
    from .models import list_models
    return [(f"{local_name(r['model'])}@{int(r['latest'])}", str(r["name"]),
             version_iri(local_name(r["model"]), int(r["latest"])))
            for r in list_models(registry)]


def _fits_facet(registry: Registry, rows: list[dict[str, Any]], everything: bool) -> dict:
    """How many of `rows` each model's latest version fits, most first (none: not listed)."""
    versions = _latest_versions(registry)
    iris = [iri for _, _, iri in versions]
    sums = _fitting_everything(registry, iris) if everything \
        else fitting(registry, iris, rows).sum(axis=1)
    counted = [{"value": ref, "label": name, "count": int(n)}
               for (ref, name, _), n in zip(versions, sums) if n]
    counted.sort(key=lambda v: (-v["count"], v["label"].lower()))
    return {"values": counted[:VALUES_SHOWN], "more": max(0, len(counted) - VALUES_SHOWN)}


def _device_counts(registry: Registry, rows: list[dict[str, Any]], names: tuple[str, ...],
                   everything: bool) -> dict[str, dict]:
    """The device facets `names` other than fits over `rows`: the counts over every device
    kept from the change log when `rows` are all of them, else sums at their slots."""
    from .devices.facet_codes import facet_codes
    codes = facet_codes(registry)
    slots = None if everything else codes.at(row["iri"] for row in rows)
    return {name: _counted(codes.totals[DEVICE_FACETS[name]] if slots is None
                           else codes.counts(DEVICE_FACETS[name], slots)) for name in names}


def counts(registry: Registry, rows: list[dict[str, Any]], names: tuple[str, ...],
           known: Mapping[str, str | None], where: Any) -> dict[str, dict]:
    """Each facet in `names` over `rows` (every row the filter `where` keeps), as
    {name: {"values": [{"value", "count"[, "label"]}], "more": N}}. The devices' are counted
    from their facet codes (devices/facet_codes.py); a model list's from its rows, kept per
    filter (its order aside) until the store changes."""
    everything = _everything(where)
    if known is not DEVICE_FACETS:
        key = (tuple(known), names, replace(where, sort=""))
        held = per_revision(registry, "facets.counts", dict)
        if key not in held:
            if len(held) >= _HELD:
                held.clear()  # the filters people try are few; a crowd of others starts afresh
            held[key] = {name: _counted(Counter(row[known[name]] for row in rows if row[known[name]] is not None))
                         for name in names}
        return held[key]
    found = _device_counts(registry, rows, tuple(n for n in names if known[n] is not None), everything)
    if "fits" in names:
        found["fits"] = _fits_facet(registry, rows, everything)
    return {name: found[name] for name in names}
