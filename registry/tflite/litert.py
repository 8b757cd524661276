"""Checks that a model runs on LiteRT (`ai-edge-litert`), the interpreter for Linux-class
devices (single-board computers, gateways, phones).

LiteRT is the successor of tflite-runtime and works with NumPy 2. It runs what TFLM refuses:
hybrid and float16-weight models, the legacy uint8 scheme, any builtin operator. The probe
loads the model, allocates its tensors and invokes it once on zeros with one thread; a custom
operator the runtime does not know is the usual reason it fails. A model whose input has an
open dimension is checked at the placeholder size the file stores; if it fails there, the
verdict is unknown rather than "does not run".

Where it runs, the probe also measures the RAM it takes: the heap the interpreter holds after
the invocation (tensors, arena, kernels' state), to which the model's own bytes are added, as
a device keeps the file mapped while the interpreter reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

from .analysis import describe_open_input, has_open_dimension
from .sandbox import DEFAULT_MAX_MEMORY, run_probe


@dataclass(frozen=True)
class LiteRtResult:
    runs: bool
    measured: bool  # False when the probe itself failed; `reason` then says how
    reason: str | None
    litert_version: str
    ram_bytes: int | None = None  # measured on this host, where it runs (see above)


def check_litert(data: bytes, *, timeout_s: float,
                 max_memory: int = DEFAULT_MAX_MEMORY) -> LiteRtResult:
    """`data` must have passed `analyse`."""
    litert_version = version("ai-edge-litert")
    run = run_probe("litert", data, timeout_s=timeout_s, max_memory=max_memory)
    if run.output is None:
        return LiteRtResult(runs=False, measured=False, reason=f"could not measure: {run.failure}",
                            litert_version=litert_version)
    error = run.output["error"]
    if error is None:
        heap = run.output.get("heap_bytes")
        return LiteRtResult(runs=True, measured=True, reason=None, litert_version=litert_version,
                            ram_bytes=heap + len(data) if heap is not None else None)
    # LiteRT's messages run on with links and node numbers; the first line names the cause.
    lines = error.strip().splitlines()
    cause = lines[0] if lines else "LiteRT refused the model without a message"
    placeholders = [describe_open_input(*spec) for spec in run.output["inputs"]
                    if has_open_dimension(spec[1], spec[2])]
    if placeholders:
        # The application gives open dimensions their size; the probe cannot know it, and a
        # model made for, say, a second of audio need not compute at one sample.
        return LiteRtResult(runs=False, measured=False,
                            reason=f"could not check: {placeholders[0]}, and at that shape "
                                   f"LiteRT failed ({cause})",
                            litert_version=litert_version)
    return LiteRtResult(runs=False, measured=True, reason=cause, litert_version=litert_version)
