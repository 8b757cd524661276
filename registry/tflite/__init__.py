"""Reading and measuring .tflite models, without TensorFlow.

`measure_file` is the one call the registry makes when a model is submitted: it validates
and analyses the file in-process (analysis.py), then loads it into TFLM and into LiteRT, each
in its own sandboxed process (tflm.py, litert.py, sandbox.py), at the same time. When TFLM
gives no arena figure, a static estimate of the whole arena stands in (estimate.py, on the
memory plan of planner.py), kept apart from the measured figure.
`writer` makes valid models for tests, demo data and benchmarks.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .analysis import ModelAnalysis, OperatorUse, TensorSpec, analyse, open_input, summarise
from .litert import LiteRtResult, check_litert
from .estimate import ArenaEstimate, estimate_arena
from .model import parse
from .planner import PlannerEstimate
from .sandbox import DEFAULT_MAX_MEMORY
from .tflm import ArenaRecord, ArenaUse, TflmResult, measure_tflm

__all__ = ["ArenaEstimate", "ArenaRecord", "ArenaUse", "LiteRtResult", "ModelAnalysis",
           "ModelReport", "OperatorUse", "PlannerEstimate", "TensorSpec", "TflmResult", "analyse",
           "estimate_file", "measure_file"]


@dataclass(frozen=True)
class ModelReport:
    analysis: ModelAnalysis
    tflm: TflmResult
    litert: LiteRtResult
    # Only when TFLM did not measure an arena, and not for a placeholder input shape (see
    # analysis.open_input): an estimate at that shape would fit no real input.
    estimate: ArenaEstimate | None


def measure_file(data: bytes, *, max_bytes: int, timeout_s: float,
                 max_memory: int = DEFAULT_MAX_MEMORY) -> ModelReport:
    """Raises Invalid or TooLarge for a file that is not a readable .tflite model; anything
    that goes wrong in an interpreter is reported in the result instead. `timeout_s` and
    `max_memory` bound each interpreter's process."""
    model = parse(data, max_bytes=max_bytes)
    analysis = summarise(model)
    # The probes are processes; the thread only waits on one while this one waits on the other.
    with ThreadPoolExecutor(max_workers=1) as pool:
        litert = pool.submit(check_litert, data, timeout_s=timeout_s, max_memory=max_memory)
        tflm = measure_tflm(data, analysis, timeout_s=timeout_s, max_memory=max_memory)
    estimate = (None if tflm.runs or open_input(analysis) is not None
                else estimate_arena(model))
    return ModelReport(analysis=analysis, tflm=tflm, litert=litert.result(), estimate=estimate)


def estimate_file(data: bytes, *, max_bytes: int) -> ArenaEstimate:
    """The arena estimate alone, as the registry makes it when TFLM cannot measure; raises
    Invalid or TooLarge like `measure_file`."""
    return estimate_arena(parse(data, max_bytes=max_bytes))
