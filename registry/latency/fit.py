"""Fits the cost model's factors to the calibration table, and cross-validates the fit.

    python -m tinyreg.registry.latency.fit            # prints the factors as JSON
    python -m tinyreg.registry.latency.fit --write    # and writes data/factors.json

Per runtime family, the depthwise and fully connected weights (d, f) are chosen on a
geometric grid to minimise the squared log error of all that family's rows, each
(core family, runtime family) pair taking the MACs-per-cycle factor F that fits its own rows
best (the mean log ratio). Pairs without data are predicted from an additive model of
log F (a core effect plus a runtime effect) fitted to the pairs with data.
"""
from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np

from .calibration import Observation, load_table, reference_workloads
from .cost import FACTORS_FILE, Factors, Group, KindWeights, work
from .workload import Workload

GRID = np.geomspace(0.25, 8.0, 31)
# Pulls d and f toward 1 (the convolution rate) when a family's rows say little about them;
# in units of squared log error, so it matters only where the fit is nearly flat.
PENALTY = 0.05
RIDGE_ROWS = 4.0


def _log_rates(rows: list[Observation], workloads: dict[str, Workload],
               weights: KindWeights) -> np.ndarray:
    """log(work / cycles) of each row: the log of its MACs per cycle."""
    return np.array([math.log(work(workloads[o.benchmark], weights)
                              / (o.latency_ms / 1000.0 * o.clock_hz)) for o in rows])


def _group_sse(rows: list[Observation], rates: np.ndarray) -> float:
    by_core = defaultdict(list)
    for o, x in zip(rows, rates):
        by_core[o.core].append(x)
    return sum(float(((np.array(v) - np.mean(v)) ** 2).sum()) for v in by_core.values())


def _best_weights(rows: list[Observation], workloads) -> KindWeights:
    best, best_cost = KindWeights(), math.inf
    for d in GRID:
        for f in GRID:
            weights = KindWeights(float(d), float(f))
            cost = _group_sse(rows, _log_rates(rows, workloads, weights)) + PENALTY * (
                math.log(d) ** 2 + math.log(f) ** 2)
            if cost < best_cost:
                best, best_cost = weights, cost
    return best


def _sd(residuals, dof: int) -> float:
    return math.sqrt(sum(r * r for r in residuals) / dof) if dof > 0 else 0.0


def _additive_fit(groups: dict[tuple[str, str], Group]):
    cores = sorted({c for c, _ in groups})
    runtimes = sorted({r for _, r in groups})
    design, target, weight = [], [], []
    for (c, r), g in groups.items():
        row = np.zeros(len(cores) + len(runtimes))
        row[cores.index(c)] = 1.0
        row[len(cores) + runtimes.index(r)] = 1.0
        design.append(row)
        target.append(math.log(g.macs_per_cycle))
        weight.append(math.sqrt(g.rows))
    # A runtime seen on few boards earns a small effect: each runtime effect is pulled
    # toward zero as if by RIDGE_ROWS results that show none.
    for i in range(len(runtimes)):
        row = np.zeros(len(cores) + len(runtimes))
        row[len(cores) + i] = 1.0
        design.append(row)
        target.append(0.0)
        weight.append(math.sqrt(RIDGE_ROWS))
    a, w = np.array(design), np.array(weight)
    coef, *_ = np.linalg.lstsq(a * w[:, None], np.array(target) * w, rcond=None)
    a, target = a[:len(groups)], target[:len(groups)]
    # Centre the runtime effects: a core effect is then the core's rate with a typical runtime.
    shift = float(np.median(coef[len(cores):]))
    core_effect = {c: float(coef[i]) + shift for i, c in enumerate(cores)}
    runtime_effect = {r: float(coef[len(cores) + i]) - shift for i, r in enumerate(runtimes)}
    return core_effect, runtime_effect


def _additive(groups: dict[tuple[str, str], Group]) -> tuple[dict, dict, float]:
    """The additive model of log F, and its error on pairs it has not seen: each pair is
    predicted from the others (when the others still know its core and its runtime), which
    is exactly the situation in which the model is used."""
    core_effect, runtime_effect = _additive_fit(groups)
    errors = []
    for pair, group in groups.items():
        rest = {k: g for k, g in groups.items() if k != pair}
        cores, runtimes = {c for c, _ in rest}, {r for _, r in rest}
        if pair[0] not in cores or pair[1] not in runtimes:
            continue
        ce, re_ = _additive_fit(rest)
        errors.append(math.log(group.macs_per_cycle) - ce[pair[0]] - re_[pair[1]])
    return core_effect, runtime_effect, _sd(errors, len(errors))


def _between_boards(groups_rows: dict) -> float:
    """How far one board's results sit from other boards of the same pair: the spread of
    board means within pairs measured on two or more boards."""
    deviations, dof = [], 0
    for members in groups_rows.values():
        by_board = defaultdict(list)
        for o, residual in members:
            by_board[o.board].append(residual)
        if len(by_board) < 2:
            continue
        deviations += [float(np.mean(v)) for v in by_board.values()]
        dof += len(by_board) - 1
    return _sd(deviations, dof)


def fit(rows: list[Observation], workloads: dict[str, Workload] | None = None) -> Factors:
    workloads = workloads or reference_workloads()
    by_runtime = defaultdict(list)
    for o in rows:
        by_runtime[o.runtime].append(o)
    kind_weights = {r: _best_weights(rs, workloads) for r, rs in by_runtime.items()}
    kind_weights["*"] = _best_weights(rows, workloads)
    groups, all_residuals, group_rows = {}, [], {}
    for runtime, rs in by_runtime.items():
        rates = _log_rates(rs, workloads, kind_weights[runtime])
        by_core = defaultdict(list)
        for o, x in zip(rs, rates):
            by_core[o.core].append((o, x))
        for core, members in by_core.items():
            xs = [x for _, x in members]
            mean = float(np.mean(xs))
            residuals = [x - mean for x in xs]
            all_residuals += residuals
            group_rows[(core, runtime)] = list(zip((o for o, _ in members), residuals))
            groups[(core, runtime)] = Group(math.exp(mean), _sd(residuals, len(xs) - 1),
                                            len(xs), len({o.board for o, _ in members}))
    core_effect, runtime_effect, additive_sd = _additive(groups)
    return Factors(kind_weights=kind_weights, groups=groups, core_effect=core_effect,
                   runtime_effect=runtime_effect, additive_sd=additive_sd,
                   pooled_sd=_sd(all_residuals, len(all_residuals) - len(groups)),
                   between_sd=_between_boards(group_rows),
                   single_factor=single_factors(rows, workloads),
                   power_mw=power(rows), rows=len(rows))


def single_factors(rows: list[Observation], workloads) -> dict[str, float]:
    """The anchor: one total-MACs-per-cycle factor per core family (geometric mean)."""
    by_core = defaultdict(list)
    for o in rows:
        by_core[o.core].append(math.log(workloads[o.benchmark].total_macs
                                        / (o.latency_ms / 1000.0 * o.clock_hz)))
    return {c: math.exp(float(np.mean(v))) for c, v in by_core.items()}


def power(rows: list[Observation]) -> dict[str, tuple[float, float, int]]:
    """Mean power while inferring (µJ per inference over ms per inference = mW), per core
    family, with its log spread; a family measured on one board borrows the spread of all."""
    by_core = defaultdict(list)
    for o in rows:
        if o.energy_uj:
            by_core[o.core].append((o.board, math.log(o.energy_uj / o.latency_ms)))
    everything = [x for v in by_core.values() for _, x in v]
    pooled = float(np.std(everything, ddof=1)) if len(everything) > 1 else 0.0
    out = {}
    for core, members in by_core.items():
        xs = [x for _, x in members]
        boards = len({b for b, _ in members})
        spread = float(np.std(xs, ddof=1)) if len(xs) > 1 else 0.0
        out[core] = (math.exp(float(np.mean(xs))), spread if boards > 1 else max(spread, pooled),
                     boards)
    return out


def factors_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("data", FACTORS_FILE)))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    factors = fit(load_table())
    text = json.dumps(factors.as_json(), indent=1) + "\n"
    sys.stdout.write(text)
    if "--write" in args:
        factors_path().write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
