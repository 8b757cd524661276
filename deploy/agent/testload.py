"""Loading a received model on the device's runtime before it is activated.

A microcontroller runs TFLM with a static tensor arena: the arena it can give a model is
its RAM less what the firmware keeps and what the runtime itself takes. The agent loads
the model into TFLM with exactly that arena (the registry's sandboxed probe, so a hostile
model crashes a child process, not the agent) and invokes it once. A Linux-class device
loads it into the TensorFlow Lite interpreter (LiteRT) the same way.

The verdict depends only on the model's bytes, the runtime and the arena, so an agent
process that stands in for many identical devices loads each model once per arena and
reuses the verdict; a real device loads what it receives every time.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from tinyreg.registry.errors import TinyregError
from tinyreg.registry.tflite import analyse
from tinyreg.registry.tflite.litert import check_litert
from tinyreg.registry.tflite.probe import SMALLEST_PROBED_ARENA
from tinyreg.registry.tflite.tflm import measure_tflm

TIMEOUT_S = 60


@dataclass(frozen=True)
class Verdict:
    runs: bool
    reason: str | None


_verdicts: dict[tuple[str, str, int | None], Verdict] = {}
_loading: dict[tuple[str, str, int | None], threading.Lock] = {}
_lock = threading.Lock()


def test_load(data: bytes, sha256: str, runtime: str, arena_bytes: int | None) -> Verdict:
    """`runtime` is "TFLM" (within `arena_bytes`) or "LiteRT"."""
    key = (sha256, runtime, arena_bytes)
    with _lock:
        loading = _loading.setdefault(key, threading.Lock())
    # Devices receiving the same model at once wait for one load rather than start one each.
    with loading:
        with _lock:
            known = _verdicts.get(key)
        if known is not None:
            return known
        verdict = _load(data, runtime, arena_bytes)
        if verdict.runs or not (verdict.reason or "").startswith("could not measure"):
            with _lock:  # a probe that itself failed (timeout) is not a verdict on the model
                _verdicts[key] = verdict
        return verdict


def _load(data: bytes, runtime: str, arena_bytes: int | None) -> Verdict:
    try:
        analysis = analyse(data, max_bytes=len(data))
    except TinyregError as exc:
        return Verdict(False, f"not a loadable .tflite model: {exc.detail}")
    if runtime == "LiteRT":
        result = check_litert(data, timeout_s=TIMEOUT_S)
        return Verdict(result.runs, None if result.runs else f"LiteRT: {result.reason}")
    if arena_bytes is None:
        return Verdict(False, "the device declares no RAM figure to size a tensor arena with")
    if arena_bytes < SMALLEST_PROBED_ARENA:
        return Verdict(False, f"the device leaves {arena_bytes} bytes for the tensor arena, "
                              f"below the {SMALLEST_PROBED_ARENA} bytes TFLM needs to start")
    result = measure_tflm(data, analysis, timeout_s=TIMEOUT_S, max_arena=arena_bytes)
    if result.runs:
        return Verdict(True, None)
    return Verdict(False, f"TFLM with a {arena_bytes}-byte arena: {result.reason}")
