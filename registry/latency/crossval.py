"""Leave-one-board-out cross-validation of the cost model and of the one-factor anchor.

Every board's results are predicted by factors fitted without any result from that board
(whoever submitted them, in whichever round). A board whose (core, runtime) pair has no
other board behind it is predicted as uncalibrated, which is what a user of a new board
would get.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from .calibration import Observation, reference_workloads
from .estimator import DeviceFacts, ModelFacts, estimate
from .fit import fit, single_factors


@dataclass(frozen=True)
class Prediction:
    observation: Observation
    estimate_ms: float
    low_ms: float
    high_ms: float
    calibrated: bool
    anchor_ms: float | None  # None: no other board of the core family

    @property
    def error(self) -> float:
        return self.estimate_ms / self.observation.latency_ms - 1.0

    @property
    def anchor_error(self) -> float | None:
        return None if self.anchor_ms is None else self.anchor_ms / self.observation.latency_ms - 1.0

    @property
    def inside(self) -> bool:
        return self.low_ms <= self.observation.latency_ms <= self.high_ms


def predict(train: list[Observation], test: list[Observation]) -> list[Prediction]:
    """`test`'s results as the model fitted on `train` (and the anchor) predict them."""
    workloads = reference_workloads()
    factors = fit(train, workloads)
    anchor = single_factors(train, workloads)
    out = []
    for o in test:
        model = ModelFacts(o.benchmark, workloads[o.benchmark])
        est = estimate(model, DeviceFacts(o.board, o.core, o.clock_hz), o.runtime, factors)
        k = anchor.get(o.core)
        anchor_ms = workloads[o.benchmark].total_macs / (k * o.clock_hz) * 1000.0 if k else None
        out.append(Prediction(o, est.latency_ms.estimate, est.latency_ms.low,
                              est.latency_ms.high, est.calibrated, anchor_ms))
    return out


def cross_validate(rows: list[Observation]) -> list[Prediction]:
    out = []
    for board in sorted({o.board for o in rows}):
        out += predict([o for o in rows if o.board != board], [o for o in rows if o.board == board])
    return out


@dataclass(frozen=True)
class Summary:
    key: str
    results: int
    boards: int
    median_error: float  # median of |estimate / published - 1|
    inside_band: float  # share of published figures inside the band
    anchor_median_error: float | None
    calibrated: int  # results whose pair other boards calibrate


def _median_abs(values) -> float | None:
    values = [abs(v) for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(predictions: list[Prediction], key) -> list[Summary]:
    groups = defaultdict(list)
    for p in predictions:
        groups[key(p)].append(p)
    groups["all"] = list(predictions)
    return [Summary(k, len(ps), len({p.observation.board for p in ps}),
                    _median_abs(p.error for p in ps),
                    sum(p.inside for p in ps) / len(ps),
                    _median_abs(p.anchor_error for p in ps),
                    sum(p.calibrated for p in ps))
            for k, ps in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0]))]


def geometric_mean_ratio(predictions: list[Prediction]) -> float:
    return math.exp(statistics.mean(math.log(p.estimate_ms / p.observation.latency_ms)
                                    for p in predictions))
