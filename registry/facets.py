"""Facets of the device and model lists, as Datasette shows them: each value of a field with
how many rows the list's current filters keep have it, and the filters those values set.

A device list's counts come from its facet codes (devices/facet_codes.py: each value's count
over every device kept from the change log, and NumPy arrays for the counts over the devices
a filter keeps) and, for "fits model X", from the compatibility engine's verdicts: never a
query per facet, nor a Python loop over every device's values.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace
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
        fits = _carried_over(engine, held, models)
        if fits is None:
            fits = engine.outcomes(np.array(models, dtype=np.intp)).fits_yes
        held = registry.cache["facets.verdicts"] = (engine.compiled, models, fits)
    return held[2]


def _carried_over(engine: Any, held: tuple | None, models: tuple[int, ...]) -> np.ndarray | None:
    """The verdicts of `engine`, patched after a write to devices from the engine `held`
    holds verdicts of: those of the devices not written carried over, the others worked out
    (judging 100,000 devices again took 21 ms after each write); None when it was not."""
    patched = engine.devices_patched
    if held is None or patched is None or patched.compiled != id(held[0]) or held[1] != models:
        return None
    ids = engine.fleet.device_ids
    column = np.full(len(engine.fleet.terms), -1, dtype=np.int64)
    column[patched.devices] = np.arange(len(patched.devices))
    at = column[ids]
    at[np.isin(ids, patched.written)] = -1
    fits = np.empty((len(models), len(ids)), dtype=bool)
    kept = at >= 0
    fits[:, kept] = held[2][:, at[kept]]
    redo = np.flatnonzero(~kept)
    if len(redo):
        fits[:, redo] = engine.outcomes(np.array(models, dtype=np.intp), redo).fits_yes
    return fits


def _engine_columns(registry: Registry, engine: Any, codes: Any) -> np.ndarray:
    """Each facet-code slot's column in `engine`'s verdicts, -1 where it holds no device.
    The devices' term ids are kept while the engine's terms are the same (a refresh keeps
    them): only the slots the codes rewrote since, and those the engine did not know, are
    looked up again (looking up 100,000 IRIs took 0.7 s through the engine's device index)."""
    terms, iris, held = engine.fleet.terms, codes.iris, codes.held
    cached = registry.cache.get("facets.term_ids")
    ids = np.zeros(len(iris), dtype=np.int64)
    if cached is not None and cached[0] is terms and (cached[1] is iris or cached[1] is codes.before[0]):
        was = cached[2]
        ids[:len(was)] = was[:len(ids)]
        redo = held & (ids == 0)
        if cached[1] is not iris:
            redo[np.asarray(codes.before[1], dtype=np.intp)] = True
    else:
        redo = held
    for at in np.flatnonzero(redo).tolist():
        ids[at] = terms.iri(iris[at]) or 0
    ids[~held] = 0
    registry.cache["facets.term_ids"] = (terms, iris, ids)
    return np.where(ids > 0, engine.fleet.position("device")[ids], -1)


def _columns(registry: Registry, versions: list[str], codes: Any) -> tuple[np.ndarray, np.ndarray]:
    """The verdicts of `versions` (engine_for's engine), and each of `codes`' slots' column
    in them (-1: the engine holds no such device)."""
    from .compat.engine import engine_for
    engine = engine_for(registry, *versions)
    # One thread works them out after a write; readers arriving meanwhile wait for its
    # answer rather than each judging 100,000 devices again.
    with registry.cache.setdefault("facets.lock", threading.Lock()):
        # The columns follow from the engine's device list (its positions) and the slots' IRIs.
        key = (engine.fleet.position("device"), codes.iris)
        held = registry.cache.get("facets.columns")
        if held is None or held[0] is not key[0] or held[1] is not key[1]:
            held = registry.cache["facets.columns"] = (*key, _engine_columns(registry, engine, codes))
        return _verdicts(registry, engine, tuple(versions)), held[2]


def _fitting(registry: Registry, versions: list[str], codes: Any, slots: np.ndarray | None) -> np.ndarray:
    """Bools, a row per version and a column per slot in `slots` (-1: none; None: every
    slot): whether the version fits that slot's device, as the engine judges (a device the
    engine does not hold fits nothing). While another thread brings the engine up to date
    after a write, that is the engine from before it (compat.engine.engine_for)."""
    verdicts, columns = _columns(registry, versions, codes)
    at = columns if slots is None else np.where(slots >= 0, columns[slots], -1)
    out = np.zeros((len(versions), len(at)), dtype=bool)
    known = at >= 0
    out[:, known] = verdicts[:, at[known]]
    return out


@dataclass(frozen=True)
class Listed:
    """The device rows a filter keeps, in its order, with each one's slot in `codes` (None:
    not looked up, no facet value being asked about)."""
    rows: list[dict[str, Any]]
    codes: Any = None
    slots: np.ndarray | None = None

    def slots_of(self, registry: Registry) -> tuple[Any, np.ndarray]:
        if self.slots is not None:
            return self.codes, self.slots
        from .devices.facet_codes import facet_codes
        codes = facet_codes(registry)
        return codes, codes.at(row["iri"] for row in self.rows)


# The filters decided on the facet codes (values, then bounds on sizes); the others (text,
# order) on the rows.
_CODED = ("kind", "core", "format") + FACT_FILTERS
_BOUNDS = {"min_ram": "ram", "min_flash": "flash", "max_ram": "ram"}


def listed(registry: Registry, where: Any, counted: bool = False) -> Listed:
    """The device rows the filter `where` (front.devices.DeviceFilter) keeps: each facet
    value it names (any case), the sizes it bounds, and with `fits`, that the model version
    it names (slug: its latest) fits. These are masks over the facet codes' slots in the
    rows' order; the text and the order are the filter's own (`select`). A list whose
    facets are not `counted` and that names no device fact (vendor, sensor, ...) nor `fits`
    is filtered on its rows alone: the codes need the facet rows, read whole the first time."""
    from .devices.facet_codes import facet_codes
    from .devices.rows import device_rows
    chosen = {DEVICE_FACETS[name]: getattr(where, name).strip().lower() for name in _CODED
              if getattr(where, name).strip()}
    bounds = {name: getattr(where, name) for name in _BOUNDS  # a least of 0 bounds nothing
              if getattr(where, name) is not None and (name.startswith("max_") or getattr(where, name))}
    facts = any(getattr(where, name).strip() for name in FACT_FILTERS) or where.fits.strip()
    if not facts and (not counted or not (chosen or bounds)):
        return Listed(where.select(device_rows(registry).rows))
    codes = facet_codes(registry)
    held = codes.listed
    if codes.order is None:  # a write the log has yet to name: the slots looked up row by row
        rows = held.rows
        found = codes.at(row["iri"] for row in rows)
    else:
        rows, found = held.rows, codes.order
    keep = found >= 0
    for field, value in chosen.items():
        keep &= codes.having(field, value)[found]
    with np.errstate(invalid="ignore"):  # NaN, a figure not stated, is within no bound
        for name, bound in bounds.items():
            figures = codes.sizes[_BOUNDS[name]][found]
            keep &= figures <= bound if name.startswith("max_") else figures >= bound
    if where.fits.strip():
        from .references import resolve_model
        version = resolve_model(registry, where.fits.strip())  # unknown: an error, rows or none
        keep &= _fitting(registry, [version], codes, found)[0]
    at = np.flatnonzero(keep)
    rows, slots = [rows[i] for i in at.tolist()], found[at]
    rest = replace(where, **{name: "" for name in (*_CODED, "fits")},
                   **{name: None for name in _BOUNDS})
    if rest != type(where)():  # text or an order: the filter's own, on what is left
        picked = rest.select(rows)
        slot_of = {id(row): slot for row, slot in zip(rows, slots.tolist())}
        rows, slots = picked, np.array([slot_of[id(row)] for row in picked], dtype=np.intp)
    return Listed(rows, codes, slots)


def _latest_versions(registry: Registry) -> list[tuple[str, str, str]]:
    """(slug@N, name, version IRI) of each model's latest version."""
    from .models import list_models
    return [(f"{local_name(r['model'])}@{int(r['latest'])}", str(r["name"]),
             version_iri(local_name(r["model"]), int(r["latest"])))
            for r in list_models(registry)]


def _fits_facet(registry: Registry, codes: Any, slots: np.ndarray | None) -> dict:
    """How many of the devices at `slots` (None: all) each model's latest version fits,
    most first (none: not listed)."""
    versions = _latest_versions(registry)
    sums = np.count_nonzero(_fitting(registry, [iri for _, _, iri in versions], codes, slots),
                            axis=1) if versions else []
    counted = [{"value": ref, "label": name, "count": int(n)}
               for (ref, name, _), n in zip(versions, sums) if n]
    counted.sort(key=lambda v: (-v["count"], v["label"].lower()))
    return {"values": counted[:VALUES_SHOWN], "more": max(0, len(counted) - VALUES_SHOWN)}


def device_counts(registry: Registry, found: Listed, names: tuple[str, ...], where: Any) -> dict[str, dict]:
    """Each device facet in `names` over the rows `found` (all the filter `where` keeps), as
    {name: {"values": [{"value", "count"[, "label"]}], "more": N}}: the counts over every
    device kept from the change log when `where` keeps them all, else sums over their slots
    in the facet codes (devices/facet_codes.py)."""
    from .devices.facet_codes import facet_codes
    codes, slots = (facet_codes(registry), None) if _everything(where) else found.slots_of(registry)
    out = {}
    for name in names:
        field = DEVICE_FACETS[name]
        if field is None:
            out[name] = _fits_facet(registry, codes, slots)
        else:
            out[name] = _counted(codes.totals[field] if slots is None else codes.counts(field, slots))
    return out


def counts(registry: Registry, rows: list[dict[str, Any]], names: tuple[str, ...],
           known: Mapping[str, str | None], where: Any) -> dict[str, dict]:
    """Each facet in `names` (of `known`, the model list's) over `rows` (every row the filter
    `where` keeps), as device_counts gives them; kept per filter (its order aside) until the
    store changes."""
    key = (tuple(known), names, replace(where, sort=""))
    held = per_revision(registry, "facets.counts", dict)
    if key not in held:
        if len(held) >= _HELD:
            held.clear()  # the filters people try are few; a crowd of others starts afresh
        held[key] = {name: _counted(Counter(row[known[name]] for row in rows
                                            if row[known[name]] is not None)) for name in names}
    return held[key]
