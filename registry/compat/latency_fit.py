"""The latency budget (trs:LatencyFit in shapes/latency.ttl), compiled over a fleet.

Each way a device can run a model (a processor's core and clock, an installed runtime the
ontology's tr:LatencyCalibration covers) is one "option"; a model's estimate for an option
is its work by operator kind over the option's rate and clock, with the arithmetic of the
pattern's query in the same order, so the figures are the same doubles pySHACL computes.
The fastest option of a device decides (every tie reports, as the query does).
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from ..vocab import TR, prefixes
from .fleet import Fleet
from .figures import INSTALLS
from .patterns import NO_ADJUST, Compiled
from .reference_reads import RDF_TYPE, reference_query
from .shapes import Constraint

# Options: the processors' cores and clocks, joined here with the installed runtimes (the
# installs are read once for the fleet: the memory and runtime constraints read them too).
_CORES = prefixes("tr") + """
SELECT ?e ?core ?clock WHERE {
  { SELECT ?e ?p WHERE { GRAPH ?e { ?e tr:hasProcessor ?p } } }
  { SELECT ?e ?p ?core WHERE { GRAPH ?e { ?p tr:core ?core } } }
  { SELECT ?e ?p ?clock WHERE { GRAPH ?e { ?p tr:clockHz ?clock } } } }"""
_CALIBRATIONS = reference_query(prefixes("tr") + """
SELECT ?core ?rt ?rate ?k ?dw ?fc ?calibrated WHERE {
  ?cal a tr:LatencyCalibration ; tr:forCore ?core ; tr:forRuntime ?rt ; tr:macsPerCycle ?rate ;
       tr:bandFactor ?k ; tr:depthwiseWeight ?dw ; tr:fullyConnectedWeight ?fc ; tr:calibrated ?calibrated }""",
    about=((RDF_TYPE, f"{TR}LatencyCalibration"),))  # every pattern is about ?cal
_WORK = ("convMacs", "depthwiseMacs", "fullyConnectedMacs", "elementOperations")


def milliseconds(x: float) -> str:
    """A time as the shapes' trs:milliseconds writes it: two decimals, halves away from 0."""
    scaled = x * 100
    whole = math.floor(scaled)
    hundredths = whole + (1 if scaled - whole >= 0.5 else 0)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass(frozen=True)
class Timing:
    """The fastest estimate of one model on one device, as the latency shapes judge it."""
    estimate_ms: float
    low_ms: float
    high_ms: float
    runtime: str  # the runtime's IRI
    runtime_name: str
    calibrated: bool

    def as_dict(self) -> dict:
        return {"estimate": self.estimate_ms, "low": self.low_ms, "high": self.high_ms,
                "runtime": self.runtime, "runtime_name": self.runtime_name,
                "calibrated": self.calibrated}


# The options of each fleet, while it is in use (a refresh makes a new fleet).
_OPTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NO_OPTIONS = (np.zeros(0, dtype=np.int64), *(np.zeros(0) for _ in range(5)),
               np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))


class _Options:
    """The columns of every option, sorted by device, and where each device's run starts."""

    def __init__(self, columns: tuple[np.ndarray, ...]):
        self.columns = columns
        device_of = columns[0]
        self.starts = np.flatnonzero(np.diff(device_of, prepend=-1))
        self.devices_with = device_of[self.starts]
        self.run = np.repeat(np.arange(len(self.starts)), np.diff(np.append(self.starts, len(device_of))))


def _shared_options(fleet: Fleet, compute) -> _Options:
    options = _OPTIONS.get(fleet)
    if options is None:
        found = compute()
        options = _OPTIONS[fleet] = found if isinstance(found, _Options) else _Options(found)
    return options


def _options(fleet: Fleet) -> tuple[np.ndarray, ...]:
    """Every option of every device as columns (device, clock, rate, band factor, depthwise
    weight, fully connected weight, runtime term, calibrated), sorted by device, then the
    runtime's IRI, then the figures; one per distinct row. Joined as arrays: a loop over
    100,000 devices' processors and installs took 1.5 s each time a device was written."""
    calibration = {(str(r["core"]), str(r["rt"])): r for r in fleet.reference(_CALIBRATIONS)}
    installed, installs = fleet.select("device", INSTALLS)
    devices, columns = fleet.select("device", _CORES)
    # after both reads: each may add terms to the fleet's table
    values, numbers = fleet.terms.values, fleet.terms.numbers()
    if not len(devices) or not len(installed):
        return _NO_OPTIONS
    clocks = numbers[columns["clock"]]
    timed = ~np.isnan(clocks)
    devices, cores, clocks = devices[timed], columns["core"][timed], clocks[timed]
    # each (processor, installed runtime) pair of a device: the installs by device, in runs
    width = len(values)  # term ids are below it: a pair of ids as one number sorts as a pair
    pairs = np.unique(installed.astype(np.int64) * width + installs["rt"])
    pair_device, pair_rt = pairs // width, pairs % width
    first = np.searchsorted(pair_device, devices, side="left")
    count = np.searchsorted(pair_device, devices, side="right") - first
    row = np.repeat(np.arange(len(devices)), count)
    at = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
    devices, cores, clocks, rts = devices[row], cores[row], clocks[row], pair_rt[at]
    if not len(devices):
        return _NO_OPTIONS
    # the calibration of each distinct (core, runtime), looked up once
    keys, where = np.unique(cores.astype(np.int64) * width + rts, return_inverse=True)
    figures = np.zeros((len(keys), 5))
    known = np.zeros(len(keys), dtype=bool)
    for j, (core, rt) in enumerate(zip((keys // width).tolist(), (keys % width).tolist())):
        cal = calibration.get((str(values[core]), str(values[rt])))
        if cal is not None:
            known[j] = True
            figures[j] = (float(cal["rate"]), float(cal["k"]), float(cal["dw"]), float(cal["fc"]),
                          float(cal["calibrated"] is True))
    where = where.reshape(-1)
    found, covered = figures[where], known[where]
    devices, clocks, rts, found = devices[covered], clocks[covered], rts[covered], found[covered]
    names = sorted(set(rts.tolist()), key=lambda t: str(values[t]))
    rank = np.zeros(len(values), dtype=np.int64)
    rank[names] = np.arange(len(names))
    order = np.lexsort((found[:, 4], found[:, 3], found[:, 2], found[:, 1], found[:, 0], clocks,
                        rank[rts], devices))
    table = np.column_stack([devices, clocks, rts, found])[order]
    keep = np.ones(len(table), dtype=bool)
    keep[1:] = np.any(table[1:] != table[:-1], axis=1)
    table = table[keep]
    return (table[:, 0].astype(np.int64), table[:, 1], table[:, 3], table[:, 4], table[:, 5],
            table[:, 6], table[:, 2].astype(np.int64), table[:, 7].astype(bool))


class LatencyFit(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.path = c.param("budgetProperty")
        self.low_end = c.param("bandEnd") == "low"
        self.budget = fleet.numbers("model", self.path, pick=min)
        tr = "https://w3id.org/tinyreg/ontology#"
        self.work = np.stack([fleet.numbers("model", tr + name) for name in _WORK])
        # the budget's two shapes compile over the same fleet: the options are joined once
        self._take(_shared_options(fleet, lambda: _options(fleet)))

    def _take(self, options: "_Options") -> None:
        self.options = options
        self.device_of, self.clock, self.rate, self.k, self.dw_weight, self.fc_weight, \
            self.runtime_of, self.calibrated = options.columns
        self.count = len(self.device_of)
        self.starts, self.devices_with, self._run = options.starts, options.devices_with, options.run

    def patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        new._take(_shared_options(fleet, lambda: splice.option_rows(self.options.columns,
                                                                    sub.options.columns)))
        return new

    def models_patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        new.budget = splice.rows(self.budget, sub.budget)
        new.work = splice.rows(self.work, sub.work, axis=1)
        new._take(_shared_options(fleet, lambda: self.options))  # the devices' alone
        return new

    def _estimates(self, models: np.ndarray, options=slice(None)) -> np.ndarray:
        """estimate[model row, option] in ms (of `options`: all by default), in the order of
        the query's arithmetic."""
        conv, dw, fc, el = (w[models][:, None] for w in self.work)
        return (conv + self.dw_weight[options] * dw + self.fc_weight[options] * fc + el) \
            / self.rate[options] / self.clock[options] * 1000

    def _reported(self, estimates: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """Per (model row, option): the option is a fastest one and its band is reported."""
        best = np.minimum.reduceat(estimates, self.starts, axis=1)
        fastest = estimates == best[:, self._run]
        low, high = estimates / self.k, estimates * self.k
        if self.low_end:
            over = low > budget[:, None]
        else:
            over = (low <= budget[:, None]) & (high > budget[:, None])
        return fastest & over

    def fastest(self, models: np.ndarray, devices) -> tuple[np.ndarray, np.ndarray]:
        """(estimate in ms, option index) of the fastest way each device runs each model;
        NaN and -1 where there is no estimate (no operator mix, core, clock or runtime).
        Only the options of `devices` are estimated: the heatmap's 40 devices, not 100,000."""
        models = np.asarray(models)
        devices = np.arange(len(self.fleet.devices))[devices] if isinstance(devices, slice) \
            else np.asarray(devices, dtype=np.intp)
        best = np.full((len(models), len(devices)), np.nan)
        which = np.full((len(models), len(devices)), -1, dtype=np.int64)
        if not (self.count and len(models) and len(devices)):
            return best, which
        # each device's run of options, if it has one
        run = np.searchsorted(self.devices_with, devices)
        has = run < len(self.devices_with)
        has[has] = self.devices_with[run[has]] == devices[has]
        runs = run[has]
        if not len(runs):
            return best, which
        lengths = np.diff(np.append(self.starts, self.count))[runs]
        begins = np.cumsum(lengths) - lengths  # of each run among the options taken
        columns = np.repeat(self.starts[runs] - begins, lengths) + np.arange(lengths.sum())
        estimates = self._estimates(models, columns)
        estimates = np.where(np.isnan(estimates), np.inf, estimates)
        fastest = np.minimum.reduceat(estimates, begins, axis=1)
        first = np.where(estimates == fastest[:, np.repeat(np.arange(len(runs)), lengths)],
                         columns, self.count)
        first = np.minimum.reduceat(first, begins, axis=1)  # the first of any tie
        known = np.isfinite(fastest)
        best[:, has] = np.where(known, fastest, np.nan)
        which[:, has] = np.where(known, first, -1)
        return best, which

    def timing(self, model: int, device: int) -> Timing | None:
        best, which = self.fastest(np.array([model]), np.array([device]))
        return self.timing_of(float(best[0, 0]), int(which[0, 0]))

    def timing_of(self, value: float, o: int) -> Timing | None:
        """The Timing of an estimate and option from `fastest`."""
        if o < 0:
            return None
        rt = self.fleet.terms.values[self.runtime_of[o]]
        return Timing(value, value / self.k[o], value * self.k[o], str(rt), self.fleet.label(rt),
                      bool(self.calibrated[o]))

    def violations(self, models, devices, adjust=NO_ADJUST):
        width = len(self.fleet.devices) if isinstance(devices, slice) else len(devices)
        out = np.zeros((len(models), width), dtype=bool)
        budget = self.budget[models]
        rows = np.flatnonzero(~np.isnan(budget))
        if not len(rows) or not self.count:
            return out
        reported = self._reported(self._estimates(np.asarray(models)[rows]), budget[rows])
        per_device = np.zeros((len(rows), len(self.fleet.devices)), dtype=bool)
        per_device[:, self.devices_with] = np.logical_or.reduceat(reported, self.starts, axis=1)
        out[rows] = per_device[:, devices]
        return out

    def explain(self, model, device, adjust=NO_ADJUST):
        budget = self.budget[model]
        mine = np.flatnonzero(self.device_of == device)
        if math.isnan(budget) or not len(mine):
            return []
        estimates = self._estimates(np.array([model]))[0]
        best = estimates[mine].min()
        out, seen = [], set()
        for o in mine.tolist():
            value = float(estimates[o])
            low, high = value / self.k[o], value * self.k[o]
            over = low > budget if self.low_end else low <= budget < high
            if value != best or not over:
                continue
            rt, calibrated = self.fleet.terms.values[self.runtime_of[o]], bool(self.calibrated[o])
            variables = {"path": self.path, "value": value, "estimate": milliseconds(value),
                         "low": milliseconds(low), "high": milliseconds(high),
                         "budget": milliseconds(budget), "runtime": self.fleet.label(rt),
                         "basis": "calibrated" if calibrated else "uncalibrated"}
            key = tuple(variables.values())
            if key in seen:
                continue
            seen.add(key)
            variables["figures"] = {"estimate_ms": value, "low_ms": low, "high_ms": high,
                                    "budget_ms": budget, "runtime": str(rt)}
            out.append(variables)
        return out
