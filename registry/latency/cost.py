"""The cost model: cycles from a model's operator mix, per core family and runtime family.

    cycles = work / F[core, runtime]
    work   = conv MACs + d[runtime] * depthwise MACs + f[runtime] * fully-connected MACs
             + 1 * pooled elements + 4 * elementwise elements + 1 * other elements

`work` is in "convolution MAC equivalents": a runtime's depthwise and fully connected kernels
run at their own rate relative to its convolutions (d, f: fitted per runtime family), and
the operators without MACs cost per element. F, in convolution MACs per cycle, is fitted per
(core family, runtime family) pair. The per-element weights are priors, not fits: the four
reference models spend under 1 % of their work there, so the published results cannot pin
them down. Per-operator dispatch overhead is folded into f, because the only model whose
latency it moves (the FC autoencoder) is also the only fully connected one.

The fitted numbers live in data/factors.json (written by fit.py, checked by the tests).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .workload import Workload

ELEMENT_WEIGHTS = {"pooling": 1.0, "elementwise": 4.0, "other": 1.0}
FACTORS_FILE = "factors.json"


@dataclass(frozen=True)
class KindWeights:
    depthwise: float = 1.0
    fully_connected: float = 1.0


def work(workload: Workload, weights: KindWeights) -> float:
    macs = workload.macs
    return (macs["conv"] + weights.depthwise * macs["depthwise"]
            + weights.fully_connected * macs["fully_connected"]
            + sum(ELEMENT_WEIGHTS[k] * n for k, n in workload.elements.items()))


def element_operations(workload: Workload) -> int:
    """The operators without MACs, in convolution MAC equivalents: what `work` adds to the
    weighted MACs (tr:elementOperations)."""
    return int(sum(ELEMENT_WEIGHTS[k] * n for k, n in workload.elements.items()))


@dataclass(frozen=True)
class Group:
    """One calibrated (core family, runtime family) pair."""

    macs_per_cycle: float  # F: convolution MAC equivalents per cycle
    log_sd: float  # spread of log(published / predicted) within the pair
    rows: int
    boards: int


@dataclass(frozen=True)
class Factors:
    kind_weights: dict[str, KindWeights]  # by runtime family; "*" for families without data
    groups: dict[tuple[str, str], Group]
    core_effect: dict[str, float]  # log F = core_effect + runtime_effect, for pairs without data
    runtime_effect: dict[str, float]
    additive_sd: float  # error of the additive model on a pair it was not fitted to
    pooled_sd: float  # spread of all rows around their own pair
    between_sd: float  # spread of one board's mean around other boards of its pair
    single_factor: dict[str, float]  # the anchor: total MACs per cycle, one per core family
    power_mw: dict[str, tuple[float, float, int]]  # core family -> (mW, log sd, boards)
    rows: int

    def weights(self, runtime: str) -> KindWeights:
        return self.kind_weights.get(runtime, self.kind_weights["*"])

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "kind_weights": {k: [round(w.depthwise, 4), round(w.fully_connected, 4)]
                             for k, w in sorted(self.kind_weights.items())},
            "groups": {f"{c}|{r}": [round(g.macs_per_cycle, 5), round(g.log_sd, 4), g.rows,
                                    g.boards] for (c, r), g in sorted(self.groups.items())},
            "core_effect": {k: round(v, 4) for k, v in sorted(self.core_effect.items())},
            "runtime_effect": {k: round(v, 4) for k, v in sorted(self.runtime_effect.items())},
            "additive_sd": round(self.additive_sd, 4),
            "pooled_sd": round(self.pooled_sd, 4),
            "between_sd": round(self.between_sd, 4),
            "single_factor": {k: round(v, 5) for k, v in sorted(self.single_factor.items())},
            "power_mw": {k: [round(p, 3), round(s, 4), n]
                         for k, (p, s, n) in sorted(self.power_mw.items())},
        }

    @classmethod
    def from_json(cls, data: dict) -> "Factors":
        return cls(
            kind_weights={k: KindWeights(*v) for k, v in data["kind_weights"].items()},
            groups={tuple(k.split("|")): Group(*v) for k, v in data["groups"].items()},
            core_effect=data["core_effect"], runtime_effect=data["runtime_effect"],
            additive_sd=data["additive_sd"], pooled_sd=data["pooled_sd"],
            between_sd=data["between_sd"],
            single_factor=data["single_factor"],
            power_mw={k: tuple(v) for k, v in data["power_mw"].items()}, rows=data["rows"])


@lru_cache(maxsize=1)
def shipped_factors() -> Factors:
    """The factors fitted from the shipped table (data/factors.json)."""
    text = resources.files(__package__).joinpath("data", FACTORS_FILE).read_text()
    return Factors.from_json(json.loads(text))


def log_ratio(published: float, predicted: float) -> float:
    return math.log(published / predicted)
