"""Measures a model on TensorFlow Lite for Microcontrollers (the `tflite-micro` package).

The probe loads the model into TFLM's Python interpreter, invokes it once on zeros, asks
TFLM's RecordingMicroAllocator what it took from the tensor arena, then searches for the
smallest arena that still loads. Microcontrollers have no virtual memory: the arena is a
static array sized at build time, so that minimum is the figure a device's RAM must hold on
top of the application. It covers the arena only, not TFLM's code or stack.

TFLM does not always refuse a short arena cleanly: for some models (streaming ones with
resource variables) it writes past a failed allocation and crashes. So each arena size is
tried in a child process of its own (probe.py), and a crash or hang at one size is evidence
about that size only: "does not run" comes only from a clean refusal at the largest arena
allowed, with TFLM's reason; a model that crashes there too is "could not measure".

The recorded total is not the minimum: TFLM also borrows temporary memory from the arena
while it plans (for the planner's own bookkeeping) and gives it back, which matters for
small models (the sine model records 1536 bytes and needs 1936), while alignment slack can
put the minimum a few bytes under the total. So the minimum is searched for, by bisection
over arenas the model loads with (allocation only; the final size is then invoked once to
confirm it), never below 1 KiB. Measured for an arena that starts on a 16-byte boundary, as
TFLM wants (the probe's malloc'ed arena does).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib.metadata import version

from .analysis import ModelAnalysis, open_input
from .compute import KERNELS
from .sandbox import DEFAULT_MAX_MEMORY, run_probe

DEFAULT_MAX_ARENA = 64 << 20  # beyond any microcontroller; larger needs are reported as such
TRIALS_PER_TIMEOUT = 4

logger = logging.getLogger(__name__)

_MISSING_BUILTIN = re.compile(r"Didn't find op for builtin opcode '([^']+)'")
_NODE_FAILED = re.compile(r"Node (\S+) \(number (\d+)\) failed to (prepare|invoke)")
_ARENA_SHORT = re.compile(r"missing: \d+|Failed to (allocate|resize)")


@dataclass(frozen=True)
class ArenaUse:
    category: str  # as RecordingMicroAllocator names it, e.g. 'TfLiteEvalTensor data'
    used_bytes: int  # including alignment overhead
    requested_bytes: int
    count: int  # allocations (or tensors, or node structs) behind it


@dataclass(frozen=True)
class ArenaRecord:
    """What RecordingMicroAllocator reports after a model is loaded and invoked."""

    total: int
    head: int  # non-persistent: the planned activation buffers and kernels' scratch
    tail: int  # persistent: tensor and node structs, kernels' data, quantization data
    breakdown: tuple[ArenaUse, ...]  # recorded categories, all within the tail


@dataclass(frozen=True)
class TflmResult:
    runs: bool
    measured: bool  # False when the probe itself failed; `reason` then says how
    reason: str | None  # why the model does not run, or could not be measured
    arena: ArenaRecord | None
    minimum_arena: int | None  # smallest arena the model loads and invokes with
    tflm_version: str
    # (arena bytes, how TFLM died there) for every size at which it crashed or hung: each is
    # evidence about that size only.
    failures: tuple[tuple[int, str], ...] = ()


def measure_tflm(data: bytes, analysis: ModelAnalysis, *, timeout_s: float,
                 max_memory: int = DEFAULT_MAX_MEMORY,
                 max_arena: int = DEFAULT_MAX_ARENA,
                 trial_timeout_s: float | None = None) -> TflmResult:
    """`data` must have passed `analyse` (which gave `analysis`). One arena size may take
    `trial_timeout_s`, by default a quarter of `timeout_s`: a hang at one size leaves time to
    try others."""
    tflm_version = version("tflite-micro")
    if placeholder := open_input(analysis):
        # TFLM would run the placeholder shape; an arena measured there fits no real input.
        return TflmResult(runs=False, measured=True,
                          reason=f"{placeholder}, and TFLM has no dynamic shapes: convert the "
                                 f"model with a fixed input shape",
                          arena=None, minimum_arena=None, tflm_version=tflm_version)
    trial_timeout_s = trial_timeout_s or timeout_s / TRIALS_PER_TIMEOUT
    run = run_probe("tflm", data, timeout_s=timeout_s, max_memory=max_memory,
                    options=("--max-arena", str(max_arena),
                             "--trial-timeout", f"{trial_timeout_s:g}"))
    if run.output is None:
        return TflmResult(runs=False, measured=False, reason=f"could not measure: {run.failure}",
                          arena=None, minimum_arena=None, tflm_version=tflm_version)
    out = run.output
    failures = tuple((int(size), str(how)) for size, how in out["failures"])
    if out["stage"] == "unmeasured":
        return TflmResult(runs=False, measured=False,
                          reason=f"could not measure: TFLM {_failures_text(failures)}",
                          arena=None, minimum_arena=None, tflm_version=tflm_version,
                          failures=failures)
    if out["stage"] is not None:
        return TflmResult(runs=False, measured=True,
                          reason=failure_reason(out["log"], analysis, out["arena"]),
                          arena=None, minimum_arena=None, tflm_version=tflm_version,
                          failures=failures)
    recorded = out["recorded"]
    arena = ArenaRecord(total=recorded["total"], head=recorded["head"], tail=recorded["tail"],
                        breakdown=tuple(ArenaUse(*use) for use in recorded["breakdown"]))
    if failures:
        logger.info("TFLM failed at %d arena size(s) below the one it runs with (%s)",
                    len(failures), _failures_text(failures))
    return TflmResult(runs=True, measured=True, reason=None, arena=arena,
                      minimum_arena=out["minimum_arena"], tflm_version=tflm_version,
                      failures=failures)


def _failures_text(failures: tuple[tuple[int, str], ...]) -> str:
    return "; ".join(f"{how} with an arena of {size} bytes" for size, how in failures)


def failure_reason(log: str, analysis: ModelAnalysis, arena: int) -> str:
    """One line naming why TFLM refused the model, from what TFLM printed."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    # First: a short arena also makes kernels fail to prepare, which would mislead.
    if any(_ARENA_SHORT.search(line) for line in lines):
        return f"needs a tensor arena larger than {arena} bytes"
    for i, line in enumerate(lines):
        if match := _MISSING_BUILTIN.search(line):
            return f"TFLM has no kernel for operator {match.group(1)}"
        if "Failed to get registration from op code CUSTOM" in line:
            names = sorted({op.custom_name for op in analysis.operators if op.custom_name})
            subject = "custom operators" if len(names) > 1 else "custom operator"
            return f"{subject} {', '.join(names)} not registered in TFLM"
        if match := _NODE_FAILED.search(line):
            node, number, stage = match.groups()
            detail = f": {lines[i - 1]}" if i else ""
            failure = f"{node} (node {number}) failed to {stage}{detail}"
            note = _format_note(analysis.number_format, node)
            return f"{note}; {failure}" if note else failure
    return lines[-1] if lines else "TFLM refused the model without a message"


def _format_note(number_format: str, node: str) -> str | None:
    """Names the model's number format when it is the known cause of the node's failure."""
    if number_format == "float16" and node == "DEQUANTIZE":
        return "float16 weights (DEQUANTIZE of float16 constants) are not supported by TFLM"
    if number_format == "hybrid" and node in KERNELS:
        return "hybrid models (float activations, int8 weights) are not supported by TFLM"
    if number_format == "uint8":
        return "uint8 (legacy asymmetric) quantization is not supported by TFLM"
    return None
