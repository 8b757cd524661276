"""`estimate`: latency (and energy, where calibrated) of a model on a device with a runtime.

A pure function of the facts: the model's operator mix, the device's core family, clock,
runtimes and NPU, and the fitted factors. Reading those facts from the registry is facts.py.

The band says how far to trust the figure. For a calibrated (core family, runtime family)
pair it is the pair's own spread of log errors on the published results; for a pair nothing
calibrates it is wider (the additive model's spread on top) and the estimate is flagged
uncalibrated; for a core family without any published result it borrows a stand-in family
and is wider still. Each bound is the estimate times or divided by exp(1.645 * spread), the
90 % interval were the log errors normal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..errors import Invalid
from .cost import Factors, shipped_factors, work
from .families import CORE_FAMILIES, RUNTIME_FAMILIES, runtime_family
from .workload import Workload

Z90 = 1.645
SHRINK_BOARDS = 1.0
MIN_SPREAD = 0.05  # no published figure is reproduced to better than about 5 %
# A core family no published v0.5-v1.1 result calibrates borrows a family that has results;
# the borrowed figure is a guess about the silicon, so its band is widened by this factor.
STAND_INS = {"cortex-m3": "cortex-m4", "cortex-m23": "cortex-m0plus", "cortex-m55": "cortex-m7",
             "cortex-m85": "cortex-m7", "xtensa-lx6": "cortex-m4", "xtensa-lx7": "cortex-m7",
             "cortex-a": "cortex-m7", "riscv64": "riscv32", "riscv32": "cortex-m4",
             "cortex-m0plus": "cortex-m4", "cortex-m4": "cortex-m7", "cortex-m7": "cortex-m4",
             "cortex-m33": "cortex-m4"}
STAND_IN_SPREAD = math.log(4.0) / Z90  # the band spans x/÷ 4 around a stand-in's figure


@dataclass(frozen=True)
class ModelFacts:
    name: str
    workload: Workload
    tflite: bytes | None = field(default=None, repr=False)  # for NPU estimators (Vela)


@dataclass(frozen=True)
class DeviceFacts:
    name: str
    core_family: str | None
    clock_hz: int | None
    runtimes: tuple[str, ...] = ()  # runtime names as stored (local names such as "TFLM")
    npu: str | None = None  # the NPU's local name (EthosU55, ...)


@dataclass(frozen=True)
class Band:
    estimate: float
    low: float
    high: float

    def as_dict(self, digits: int = 3) -> dict:
        return {"estimate": _round(self.estimate, digits), "low": _round(self.low, digits),
                "high": _round(self.high, digits)}


def _round(value: float, digits: int) -> float:
    return float(f"{value:.{digits + 1}g}") if value else 0.0


@dataclass(frozen=True)
class Estimate:
    model: str
    device: str
    runtime: str  # runtime family key
    core_family: str
    clock_hz: int
    latency_ms: Band
    energy_uj: Band | None
    calibrated: bool
    basis: str
    macs: int

    def as_dict(self) -> dict:
        out = {"model": self.model, "device": self.device,
               "latency_ms": self.latency_ms.as_dict(), "runtime": self.runtime,
               "runtime_name": RUNTIME_FAMILIES[self.runtime],
               "core_family": self.core_family, "clock_hz": self.clock_hz,
               "macs": self.macs, "calibrated": self.calibrated, "basis": self.basis}
        if self.energy_uj is not None:
            out["energy_uj"] = self.energy_uj.as_dict()
        return out


# Ethos-U: an estimator takes the .tflite file and the device and returns (ms, low, high,
# basis) for the whole inference, or None when it cannot place the model. Vela's own cycle
# estimate is meant to plug in here (register_npu_estimator("EthosU55", ...)).
NpuEstimator = Callable[[bytes, DeviceFacts], "tuple[float, float, float, str] | None"]
_NPU_ESTIMATORS: dict[str, NpuEstimator] = {}


def register_npu_estimator(npu: str, estimator: NpuEstimator) -> None:
    _NPU_ESTIMATORS[npu] = estimator


def choose_runtime(device: DeviceFacts, runtime: str | None) -> str:
    if runtime is not None:
        return runtime_family(runtime, device.core_family)
    for name in device.runtimes:
        try:
            return runtime_family(name, device.core_family)
        except Invalid:
            continue
    raise Invalid(f"device {device.name} states no runtime the cost model knows; "
                  f"name one (--runtime), e.g. {', '.join(RUNTIME_FAMILIES)}")


def _rate(factors: Factors, core: str, runtime: str) -> tuple[float, float, bool, str]:
    """(MACs per cycle, log spread, calibrated, basis) for a pair."""
    group = factors.groups.get((core, runtime))
    pair = f"{CORE_FAMILIES[core]} with {RUNTIME_FAMILIES[runtime]}"
    if group is not None:
        # A new board of a calibrated pair differs from the pair as boards of a pair differ
        # from each other, on top of the scatter of one board's results.
        within = group.log_sd if group.boards > 1 else max(group.log_sd, factors.pooled_sd)
        spread = math.hypot(within, factors.between_sd)
        # Shrunk toward the additive model (core effect + runtime effect, each averaged
        # over many boards): a pair measured on one board says as much about that board's
        # memory system as about the pair.
        shrink = group.boards / (group.boards + SHRINK_BOARDS)
        log_rate = (shrink * math.log(group.macs_per_cycle) + (1 - shrink) * (
            factors.core_effect[core] + factors.runtime_effect[runtime]))
        return (math.exp(log_rate), max(spread, MIN_SPREAD), True,
                f"calibrated: {pair}, {group.rows} MLPerf Tiny v0.5-v1.1 results on "
                f"{group.boards} board{'s' if group.boards > 1 else ''}")
    if core in factors.core_effect:
        effects = factors.runtime_effect
        known = runtime in effects
        effect = effects[runtime] if known else sorted(effects.values())[len(effects) // 2]
        spread = math.hypot(factors.additive_sd, factors.pooled_sd)
        why = ("no published result for this pair: the core family's and the runtime "
               "family's effects, each fitted on other pairs" if known else
               "no published result for this runtime: the core family's rate with a "
               "median runtime")
        return math.exp(factors.core_effect[core] + effect), spread, False, \
            f"uncalibrated: {pair}; {why}"
    stand_in = STAND_INS.get(core)
    if stand_in is None or stand_in not in factors.core_effect:
        raise Invalid(f"no calibration and no stand-in for core family {core}")
    rate, spread, _, basis = _rate(factors, stand_in, runtime)
    return rate, math.hypot(spread, STAND_IN_SPREAD), False, (
        f"uncalibrated: no published result for {CORE_FAMILIES[core]}; "
        f"{CORE_FAMILIES[stand_in]} stands in ({basis.split(': ', 1)[1]})")


def band_factor(spread: float) -> float:
    """The estimate divided by it is the band's low end, times it the high end."""
    return math.exp(Z90 * spread)


def _band(value: float, spread: float) -> Band:
    factor = band_factor(spread)
    return Band(value, value / factor, value * factor)


@dataclass(frozen=True)
class PairRate:
    """What the estimate of one (core family, runtime family) pair rests on."""

    macs_per_cycle: float
    band_factor: float
    calibrated: bool
    basis: str


def pair_rate(core: str, runtime: str, factors: Factors | None = None) -> PairRate:
    """Raises Invalid for a core family with neither a calibration nor a stand-in."""
    rate, spread, calibrated, basis = _rate(factors or shipped_factors(), core, runtime)
    return PairRate(rate, band_factor(spread), calibrated, basis)


def estimate(model: ModelFacts, device: DeviceFacts, runtime: str | None = None,
             factors: Factors | None = None) -> Estimate:
    """Raises Invalid when the device lacks a core family or clock, or the runtime is unknown."""
    factors = factors or shipped_factors()
    if device.core_family is None:
        raise Invalid(f"device {device.name} states no processor core; no latency estimate")
    if not device.clock_hz:
        raise Invalid(f"device {device.name} states no clock frequency; no latency estimate")
    family = choose_runtime(device, runtime)
    notes = []
    npu_estimator = _NPU_ESTIMATORS.get(device.npu) if device.npu else None
    if npu_estimator is not None and model.tflite is not None:
        placed = npu_estimator(model.tflite, device)
        if placed is not None:
            ms, low, high, basis = placed
            return Estimate(model.name, device.name, family, device.core_family,
                            device.clock_hz, Band(ms, low, high), None, True, basis,
                            model.workload.total_macs)
    if device.npu:
        notes.append(f"the {device.npu} NPU is not modelled: CPU-only figure")
    rate, spread, calibrated, basis = _rate(factors, device.core_family, family)
    cycles = work(model.workload, factors.weights(family)) / rate
    latency_ms = cycles / device.clock_hz * 1000.0
    latency = _band(latency_ms, spread)
    energy = None
    if device.core_family in factors.power_mw:
        mw, power_spread, boards = factors.power_mw[device.core_family]
        energy = _band(latency_ms * mw, math.hypot(spread, power_spread))
        notes.append(f"energy from {mw:.0f} mW measured on {boards} "
                     f"{CORE_FAMILIES[device.core_family]} board{'s' if boards > 1 else ''}")
    else:
        notes.append("no energy: no MLPerf Tiny energy result for this core family")
    return Estimate(model.name, device.name, family, device.core_family, device.clock_hz,
                    latency, energy, calibrated, "; ".join([basis, *notes]),
                    model.workload.total_macs)
