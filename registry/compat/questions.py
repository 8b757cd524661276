"""The questions the registry answers about fit, each one call on the fleet engine.

Which devices can take this model version? Which models fit this device? The whole matrix.
What would fit if the model needed N bytes less, or the device had M bytes more? Which model
is best for a task on this device? Every answer can carry its explanations: the SHACL
results, with their messages and figures, for each pair.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import words
from ..errors import Invalid
from ..shared_work import SharedWork
from ..store import IRI
from ..vocab import TR, prefixes
from .engine import Engine, Outcomes, current_engine, engine_for, fleet_engine
from .patterns import Adjust
from .results import HEADROOM, UNKNOWN, VIOLATION, Match, Matrix, Ranked, Verdict, WhatIf

if TYPE_CHECKING:
    from ..core import Registry


def check(registry: Registry, model_version_iri: str, device_iri: str) -> Verdict:
    """Does this model version fit this device, and why (not)?"""
    engine = current_engine(registry)
    if engine is None:
        # A single question does not pay for loading the fleet: load just the pair.
        engine = Engine.load(registry.store, model=model_version_iri, device=device_iri)
    return engine.verdict(engine.model(model_version_iri), engine.device(device_iri))


# The judged questions of the engine last asked, a few at a time: a model version against
# 100,000 devices takes 25 ms, and readers of the same listing (its pages, four at once after
# a write) ask the same question of the same engine.
_JUDGED_KEY = "compat.judged"
_JUDGED_HELD = 4
_JUDGING = threading.Lock()


def _judged_once(registry: Registry, engine: Engine, key: tuple, judge: Callable[[], Any]) -> Any:
    with _JUDGING:
        held = registry.cache.get(_JUDGED_KEY)
        if held is None or held[0] is not engine:
            held = registry.cache[_JUDGED_KEY] = (engine, SharedWork(_JUDGED_HELD))
    return held[1].get(key, judge)


def judge_model(registry: Registry, version_iri: str, max_latency_ms: float | None = None,
                by_latency: bool = False, runs_only: bool = False) -> Judged:
    """The model version against every device, judged once: pages of it (`Judged.matches`)
    and its counts come from the same outcomes. The rest as in `devices_for_model`."""
    engine = engine_for(registry, version_iri)
    model = engine.model(version_iri)

    def judge() -> Judged:
        found = engine.outcomes(np.array([model]))
        timing = _timings(engine, np.array([model]), slice(None), lambda i: (0, i))
        return Judged(version_iri, found, 0, engine.fleet.devices, engine.fleet.device_names,
                      lambda d: engine.results(model, d), timing, max_latency_ms, by_latency,
                      runs_only)
    return _judged_once(registry, engine, ("model", model, max_latency_ms, by_latency, runs_only), judge)


def judge_device(registry: Registry, device_iri: str, max_latency_ms: float | None = None,
                 by_latency: bool = False, runs_only: bool = False) -> Judged:
    """Every model version against the device, judged once (see `judge_model`)."""
    engine = engine_for(registry, device_iri)
    device = engine.device(device_iri)

    def judge() -> Judged:
        models = np.arange(len(engine.fleet.models))
        found = engine.outcomes(models, np.array([device]))
        timing = _timings(engine, models, np.array([device]), lambda i: (i, 0))
        return Judged(device_iri, found, 1, engine.fleet.models, engine.fleet.model_names,
                      lambda m: engine.results(m, device), timing, max_latency_ms, by_latency,
                      runs_only)
    return _judged_once(registry, engine, ("device", device, max_latency_ms, by_latency, runs_only), judge)


def devices_for_model(registry: Registry, version_iri: str, explain: bool = False,
                      limit: int | None = None, offset: int = 0,
                      max_latency_ms: float | None = None, by_latency: bool = False,
                      runs_only: bool = False) -> list[Match]:
    """The devices the model version fits (with their warnings flagged), or with `runs_only`
    those it runs on, sensors aside; with `explain`, every other device too, after them:
    first those whose answer is unknown, then those refused, each with the results that say
    why. `offset` and `limit` page the answer; only the page's pairs are explained. Each
    match carries the fastest latency estimate where there is one; `max_latency_ms` keeps
    the devices whose estimate is within it, `by_latency` lists the fastest first."""
    return judge_model(registry, version_iri, max_latency_ms, by_latency, runs_only).matches(
        explain, limit, offset)


def models_for_device(registry: Registry, device_iri: str, explain: bool = False,
                      limit: int | None = None, offset: int = 0,
                      max_latency_ms: float | None = None, by_latency: bool = False,
                      runs_only: bool = False) -> list[Match]:
    """The model versions that fit the device (or run on it, with `runs_only`); with
    `explain`, the unknown and the refused too, with why. Latency as in `devices_for_model`."""
    return judge_device(registry, device_iri, max_latency_ms, by_latency, runs_only).matches(
        explain, limit, offset)


class _Timings:
    """The fastest estimates of one row or column of pairs: figures by entity index."""

    def __init__(self, latency, best: np.ndarray, which: np.ndarray, at):
        self.latency, self.best, self.which, self.at = latency, best, which, at

    def estimate(self, i: int) -> float:
        return float(self.best[self.at(i)])

    def as_dict(self, i: int) -> dict | None:
        timing = self.latency.timing_of(self.estimate(i), int(self.which[self.at(i)]))
        return timing.as_dict() if timing else None


def _timings(engine: Engine, models: np.ndarray, devices, at) -> _Timings | None:
    latency = engine.latency
    if latency is None:
        return None
    best, which = latency.fastest(models, devices)
    return _Timings(latency, best, which, at)


class Judged:
    """One entity against all of the other side, judged once: those answered yes first,
    then the unknown, then the refused (for `runs_only`, by "runs"). `fitting` counts the
    yes and `unknown` the unknown of the whole fleet, `total` all of it (a latency limit
    makes the lists shorter, not the counts). `subject` is the entity judged; `axis` is
    the one of length 1 in `found` (0: one model, 1: one device)."""

    def __init__(self, subject: str, found: Outcomes, axis: int, iris: list[str], names: list, results,
                 timings: _Timings | None = None, max_latency_ms: float | None = None,
                 by_latency: bool = False, runs_only: bool = False):
        def line(a: np.ndarray) -> np.ndarray:
            return a[0] if axis == 0 else a[:, 0]
        runs_no, runs_unknown = line(found.runs_no), line(found.runs_unknown)
        fits_no, fits_unknown = line(found.fits_no), line(found.fits_unknown)
        warned = line(found.warned) & ~fits_no & ~fits_unknown
        no, unknown = (runs_no, runs_unknown) if runs_only else (fits_no, fits_unknown)
        groups = [np.flatnonzero(~no & ~unknown), np.flatnonzero(unknown), np.flatnonzero(no)]
        self.subject = subject
        self.fitting, self.unknown, self.total = len(groups[0]), len(groups[1]), len(no)
        if timings is not None and (max_latency_ms is not None or by_latency):
            groups = [_by_latency(ids, timings, max_latency_ms, by_latency) for ids in groups]
        self._yes, self._order = groups[0], np.concatenate(groups)
        # reading Python lists per item: 8x faster than numpy scalars
        self._runs_no, self._runs_unknown, self._fits_no, self._fits_unknown, self._warned = (
            a.tolist() for a in (runs_no, runs_unknown, fits_no, fits_unknown, warned))
        self._iris, self._names, self._results, self._timings = iris, names, results, timings

    def matches(self, explain: bool = False, limit: int | None = None,
                offset: int = 0) -> list[Match]:
        """Those answered yes; with `explain`, the unknown and the refused after them, with
        their results (only the page's pairs are explained)."""
        order = self._order if explain else self._yes

        def answer(nos, unknowns, i) -> bool | None:
            return None if unknowns[i] else not nos[i]
        timings = self._timings
        return [Match(self._iris[i], self._names[i], answer(self._fits_no, self._fits_unknown, i),
                      self._warned[i], self._results(i) if explain else [],
                      timings.as_dict(i) if timings is not None else None,
                      runs=answer(self._runs_no, self._runs_unknown, i))
                for i in order[offset:][:limit].tolist()]


def _by_latency(ids: np.ndarray, timings: _Timings, max_latency_ms: float | None,
                by_latency: bool) -> np.ndarray:
    """`ids` within the latency limit (an unknown estimate is not within it), fastest first
    if asked, unknown estimates last."""
    estimates = np.array([timings.estimate(i) for i in ids.tolist()], dtype=float)
    if max_latency_ms is not None:
        keep = estimates <= max_latency_ms
        ids, estimates = ids[keep], estimates[keep]
    if by_latency:
        ids = ids[np.argsort(np.where(np.isnan(estimates), np.inf, estimates), kind="stable")]
    return ids


def latency_matrix(registry: Registry, models: list[str], devices: list[str]) -> np.ndarray:
    """The fastest latency estimate in ms of each model version on each device (NaN where
    there is none), as the latency shapes judge it."""
    engine = engine_for(registry, *models, *devices)
    out = np.full((len(models), len(devices)), np.nan)
    if engine.latency is not None and len(models) and len(devices):
        out, _ = engine.latency.fastest(np.array([engine.model(m) for m in models]),
                                        np.array([engine.device(d) for d in devices]))
    return out


def misfit_reasons(registry: Registry, models: list[str], devices: list[str],
                   fits: list[list[bool | None]]) -> list[list[str | None]]:
    """For each pair that does not fit (`fits` False, or None: unknown), the first result
    that rules it out or leaves it unknown, as its message says it ("needs 180000 B of RAM
    ...; 65536 B short"); None where it fits. The engine's own results for each such pair,
    in memory: no query per cell."""
    engine = engine_for(registry, *models, *devices)
    rows = [engine.model(m) for m in models]
    columns = [engine.device(d) for d in devices]
    out: list[list[str | None]] = []
    for m, row in zip(rows, fits):
        reasons = []
        for d, ok in zip(columns, row):
            results = [] if ok else [r for r in engine.results(m, d) if r.group != HEADROOM]
            first = next((r for r in results if r.severity == VIOLATION),
                         next((r for r in results if r.severity == UNKNOWN), None))
            reasons.append(first.message if first is not None else None)
        out.append(reasons)
    return out


def version_names(registry: Registry, versions: list[str]) -> list[str]:
    """The names of these model versions as the engine holds them (e.g. "KWS tiny v1")."""
    engine = engine_for(registry, *versions)
    names = engine.fleet.model_names
    return [str(names[engine.model(v)]) for v in versions]


def matrix(registry: Registry, models: list[str] | None = None,
           devices: list[str] | None = None) -> Matrix:
    """Fit of every model version (or those listed) on every device (or those listed)."""
    engine = engine_for(registry, *(models or ()), *(devices or ()))
    rows = None if models is None else [engine.model(iri) for iri in models]
    columns = None if devices is None else [engine.device(iri) for iri in devices]
    return engine.matrix(rows, columns)


def what_if(registry: Registry, version_iri: str | None = None, device_iri: str | None = None, *,
            arena_delta: int = 0, flash_delta: int = 0, ram_delta: int = 0,
            deltas: dict[str, int] | None = None, explain: bool = False) -> WhatIf:
    """The pairs a change would win or lose.

    For a model version: its arena or flash need changed by `arena_delta` / `flash_delta`
    bytes (negative: smaller), which devices would it gain or lose? For a device: its RAM or
    flash changed by `ram_delta` / `flash_delta`, which model versions? `deltas` names any
    other need or capacity property by IRI. With `explain`, each gained pair says what rules
    it out today, and each lost pair what would rule it out.
    """
    if (version_iri is None) == (device_iri is None):
        raise Invalid("what-if takes a model version or a device, not both or neither")
    engine = fleet_engine(registry)
    fleet = engine.fleet
    if version_iri is not None:
        if ram_delta:
            raise Invalid("a change of RAM is a device's; for a model version change its arena")
        change = {str(TR.arenaBytes): arena_delta, str(TR.modelFlashBytes): flash_delta, **(deltas or {})}
        adjust = Adjust(model={k: v for k, v in change.items() if v})
        model = engine.model(version_iri)
        rows, columns = np.array([model]), slice(None)
        names, iris = fleet.device_names, fleet.devices

        def pair(i):
            return model, i
    else:
        if arena_delta:
            raise Invalid("a change of arena is a model version's; for a device change its RAM")
        change = {str(TR.usableRamBytes): ram_delta, str(TR.usableFlashBytes): flash_delta, **(deltas or {})}
        adjust = Adjust(device={k: v for k, v in change.items() if v})
        device = engine.device(device_iri)
        rows, columns = np.arange(len(fleet.models)), np.array([device])
        names, iris = fleet.model_names, fleet.models

        def pair(i):
            return i, device
    before = engine.outcomes(rows, columns)
    after = engine.outcomes(rows, columns, adjust)
    fitted, fits = before.fits_yes.ravel(), after.fits_yes.ravel()
    after_warned = after.warned.ravel()

    def matches(indices, found: Outcomes, results_adjust):
        runs, runs_unknown = found.runs_yes.ravel(), found.runs_unknown.ravel()
        fits_yes, fits_unknown = found.fits_yes.ravel(), found.fits_unknown.ravel()
        return [Match(iris[i], names[i], None if fits_unknown[i] else bool(fits_yes[i]),
                      bool(after_warned[i]) if fits_yes[i] else False,
                      engine.results(*pair(i), results_adjust) if explain else [],
                      runs=None if runs_unknown[i] else bool(runs[i]))
                for i in indices]
    # Gained: fits after the change and not before; lost: the other way. Each pair is shown
    # as it would be (gained) or is today (lost, explained against the change).
    return WhatIf(gained=matches(np.flatnonzero(~fitted & fits), after, Adjust()),
                  lost=matches(np.flatnonzero(fitted & ~fits), after, adjust))


_EVALUATIONS = prefixes("tr", "schema") + """SELECT ?v ?value ?dataset ?slice WHERE {
  GRAPH ?v {
    ?v tr:evaluation ?e .
    ?e tr:metric ?metric ; schema:value ?value .
    OPTIONAL { ?e tr:onDataset/schema:name ?dataset }
    OPTIONAL { ?e tr:slice ?slice }
    { ?v tr:task ?task } UNION { ?v tr:versionOf/tr:task ?task }
  }
}"""
_LOWER_IS_BETTER = prefixes("tr") + "ASK WHERE { ?metric tr:lowerIsBetter true }"


def best_model(registry: Registry, device_iri: str, task: str, metric: str, *,
               on_slice: str | None = None,
               explain: bool = False, max_latency_ms: float | None = None) -> list[Ranked]:
    """Model versions for `task` that fit the device, best `metric` first.

    A version's figure is its best value of the metric over the datasets it was evaluated
    on, on the whole dataset (or on `on_slice`, e.g. "lighting=dim"). Metrics the ontology marks
    tr:lowerIsBetter rank ascending. With `explain`, versions for the task that do not fit
    follow, with their results. Task and metric are words (keyword-spotting, accuracy), IRIs
    or ontology names (registry/words.py). Each carries its fastest latency estimate on the
    device where there is one; `max_latency_ms` keeps the versions estimated within it.
    """
    task_iri, metric_iri = str(words.task_iri(task)), str(words.metric_iri(metric))
    lower = registry.store.ask(_LOWER_IS_BETTER, {"metric": IRI(metric_iri)})
    best: dict[str, tuple[float, str | None]] = {}
    for row in registry.store.select(_EVALUATIONS, {"task": IRI(task_iri), "metric": IRI(metric_iri)}):
        if row["slice"] != on_slice or not isinstance(row["value"], (int, float)):
            continue
        value, current = float(row["value"]), best.get(row["v"])
        if current is None or (value < current[0] if lower else value > current[0]):
            best[row["v"]] = (value, row["dataset"])
    engine = fleet_engine(registry)
    device = engine.device(device_iri)
    candidates = [iri for iri in best if iri in engine.fleet.model_index]
    rows = np.array([engine.model(iri) for iri in candidates], dtype=np.int64)
    found = engine.outcomes(rows, np.array([device]))
    timings = _timings(engine, rows, np.array([device]), lambda k: (k, 0))
    if max_latency_ms is not None:
        within = {k for k in range(len(rows)) if timings is not None
                  and timings.estimate(k) <= max_latency_ms}
        candidates = [iri for k, iri in enumerate(candidates) if k in within]
        keep = np.array(sorted(within), dtype=np.int64)
        rows = rows[keep]
        found = engine.outcomes(rows, np.array([device]))
        timings = _timings(engine, rows, np.array([device]), lambda k: (k, 0))
    ranked = [Ranked(iri, engine.fleet.model_names[m], best[iri][0], best[iri][1],
                     found.fits(k, 0) is True, engine.results(m, device) if explain else [],
                     timings.as_dict(k) if timings is not None else None, runs=found.runs(k, 0))
              for k, (iri, m) in enumerate(zip(candidates, rows))]
    ranked.sort(key=lambda r: (not r.fits, r.value if lower else -r.value, r.iri))
    return [r for r in ranked if r.fits or explain]
