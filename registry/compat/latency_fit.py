"""The latency budget (trs:LatencyFit in shapes/latency.ttl), compiled over a fleet.

Each way a device can run a model (a processor's core and clock, an installed runtime the
ontology's tr:LatencyCalibration covers) is one "option"; a model's estimate for an option
is its work by operator kind over the option's rate and clock, with the arithmetic of the
pattern's query in the same order, so the figures are the same doubles pySHACL computes.
The fastest option of a device decides (every tie reports, as the query does).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..vocab import prefixes
from .fleet import Fleet
from .patterns import _INSTALLS, NO_ADJUST, Compiled
from .shapes import Constraint

# Options: the processors' cores and clocks, joined here with the installed runtimes (the
# installs are read once for the fleet: the memory and runtime constraints read them too).
_CORES = prefixes("tr") + """
SELECT ?e ?core ?clock WHERE { GRAPH ?e { ?e tr:hasProcessor ?p . ?p tr:core ?core ; tr:clockHz ?clock } }"""
_CALIBRATIONS = prefixes("tr") + """
SELECT ?core ?rt ?rate ?k ?dw ?fc ?calibrated WHERE {
  ?cal a tr:LatencyCalibration ; tr:forCore ?core ; tr:forRuntime ?rt ; tr:macsPerCycle ?rate ;
       tr:bandFactor ?k ; tr:depthwiseWeight ?dw ; tr:fullyConnectedWeight ?fc ; tr:calibrated ?calibrated }"""
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


class LatencyFit(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.path = c.param("budgetProperty")
        self.low_end = c.param("bandEnd") == "low"
        self.budget = fleet.numbers("model", self.path, pick=min)
        tr = "https://w3id.org/tinyreg/ontology#"
        self.work = np.stack([fleet.numbers("model", tr + name) for name in _WORK])
        calibration = {(str(r["core"]), str(r["rt"])): r for r in fleet.reference(_CALIBRATIONS)}
        runtimes: dict[int, set] = {}
        devices, installs = fleet.select("device", _INSTALLS)
        for d, rt in zip(devices.tolist(), installs["rt"].tolist()):
            runtimes.setdefault(d, set()).add(rt)
        devices, columns = fleet.select("device", _CORES)
        # after both reads: each may add terms to the fleet's table
        values, numbers = fleet.terms.values, fleet.terms.numbers()
        options = []
        for d, core, clock in zip(devices.tolist(), columns["core"].tolist(), columns["clock"].tolist()):
            if math.isnan(numbers[clock]):
                continue
            for rt in runtimes.get(d, ()):
                cal = calibration.get((str(values[core]), str(values[rt])))
                if cal is not None:
                    options.append((d, float(numbers[clock]), float(cal["rate"]), float(cal["k"]),
                                    float(cal["dw"]), float(cal["fc"]), values[rt],
                                    cal["calibrated"] is True))
        options = sorted(set(options), key=lambda o: (o[0], str(o[6]), o[1:6]))
        self.options = options
        self.device_of = np.array([o[0] for o in options], dtype=np.int64)
        self.clock, self.rate, self.k, self.dw_weight, self.fc_weight = (
            np.array([o[i] for o in options], dtype=float).reshape(-1) for i in range(1, 6))
        # Options are sorted by device: each device's options are one run, starting here.
        self.devices_with, self.starts = np.unique(self.device_of, return_index=True)
        self._run = np.repeat(np.arange(len(self.starts)), np.diff(np.append(self.starts, len(options))))

    def _estimates(self, models: np.ndarray) -> np.ndarray:
        """estimate[model row, option] in ms, in the order of the query's arithmetic."""
        conv, dw, fc, el = (w[models][:, None] for w in self.work)
        return (conv + self.dw_weight * dw + self.fc_weight * fc + el) / self.rate / self.clock * 1000

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
        NaN and -1 where there is no estimate (no operator mix, core, clock or runtime)."""
        models = np.asarray(models)
        width = len(self.fleet.devices)
        best = np.full((len(models), width), np.nan)
        which = np.full((len(models), width), -1, dtype=np.int64)
        if self.options and len(models):
            estimates = self._estimates(models)
            estimates = np.where(np.isnan(estimates), np.inf, estimates)
            fastest = np.minimum.reduceat(estimates, self.starts, axis=1)
            first = np.where(estimates == fastest[:, self._run], np.arange(len(self.options)),
                             len(self.options))
            first = np.minimum.reduceat(first, self.starts, axis=1)  # the first of any tie
            known = np.isfinite(fastest)
            best[:, self.devices_with] = np.where(known, fastest, np.nan)
            which[:, self.devices_with] = np.where(known, first, -1)
        return best[:, devices], which[:, devices]

    def timing(self, model: int, device: int) -> Timing | None:
        best, which = self.fastest(np.array([model]), np.array([device]))
        return self.timing_of(float(best[0, 0]), int(which[0, 0]))

    def timing_of(self, value: float, o: int) -> Timing | None:
        """The Timing of an estimate and option from `fastest`."""
        if o < 0:
            return None
        rt = self.options[o][6]
        return Timing(value, value / self.k[o], value * self.k[o], str(rt), self.fleet.label(rt),
                      self.options[o][7])

    def violations(self, models, devices, adjust=NO_ADJUST):
        width = len(self.fleet.devices) if isinstance(devices, slice) else len(devices)
        out = np.zeros((len(models), width), dtype=bool)
        budget = self.budget[models]
        rows = np.flatnonzero(~np.isnan(budget))
        if not len(rows) or not self.options:
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
            rt, calibrated = self.options[o][6], self.options[o][7]
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
