"""The calibration table (data/mlperf_tiny_v0.5-v1.1.csv) and the reference workloads.

Only rows the cost model can use are loaded: a known core family, a clock, a latency. The
board name is normalised ("Nucleo-L4R5ZI", "NUCLEO_L4R5ZI") because cross-validation leaves
out one board at a time, whoever submitted it.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .reference import BENCHMARKS, reference_model
from .workload import Workload, workload_of_tflite

TABLE = "mlperf_tiny_v0.5-v1.1.csv"
HELD_OUT = "mlperf_tiny_v1.2_heldout.csv"  # never fitted: the check of a fit on TABLE


@dataclass(frozen=True)
class Observation:
    board: str  # normalised board name: the unit cross-validation leaves out
    core: str
    runtime: str
    benchmark: str
    clock_hz: int
    latency_ms: float
    energy_uj: float | None
    round: str
    system: str


def board_key(name: str) -> str:
    # ST sells its Nucleo boards with and without the SMPS option ("-Q"); submitters write
    # either name for the same board.
    return re.sub(r"(zi)q$", r"\1", re.sub(r"[^a-z0-9]", "", name.lower()))


def load_table(path: Path | None = None, name: str = TABLE) -> list[Observation]:
    if path is None:
        text = resources.files(__package__).joinpath("data", name).read_text()
    else:
        text = Path(path).read_text()
    rows = []
    for r in csv.DictReader(text.splitlines()):
        if not r["core_family"] or not int(r["clock_hz"] or 0) or not r["latency_ms"]:
            continue
        rows.append(Observation(
            board=board_key(r["board"] or r["system"]), core=r["core_family"],
            runtime=r["runtime_family"], benchmark=r["benchmark"],
            clock_hz=int(r["clock_hz"]), latency_ms=float(r["latency_ms"]),
            energy_uj=float(r["energy_uj"]) if r["energy_uj"] else None,
            round=r["round"], system=f'{r["submitter"]}/{r["system"]}'))
    return rows


@lru_cache(maxsize=1)
def reference_workloads() -> dict[str, Workload]:
    return {b: workload_of_tflite(reference_model(b)) for b in BENCHMARKS}
