"""Models for the .tflite tests, and what TFLM itself reports for them.

TFLM runs here, so arena figures are never written down in a test: `tflm_report` loads a
model into TFLM in this process, invokes it, and returns RecordingMicroAllocator's own text,
for tests to compare with what the registry measured through its probe.
"""
from __future__ import annotations

import faulthandler
import importlib.resources
import json
import os
import tempfile

import numpy as np
import pytest
from tflite_micro.python.tflite_micro import runtime

from tinyreg.registry.tflite import writer

MAX_BYTES = 16 << 20


def sine_model() -> bytes:
    """The float sine model shipped in the tflite-micro wheel: a converter-made file."""
    return (importlib.resources.files("tflite_micro.python.tflite_micro")
            / "sine_float.tflite").read_bytes()


def small_vision() -> bytes:
    return writer.vision(size=8, channels=1, stem=2, blocks=((4, 2),), classes=3)


@pytest.fixture(scope="session")
def sine() -> bytes:
    return sine_model()


def _fd2_text(fn):
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode()


def tflm_outcome(data: bytes, arena_size: int, invoke: bool = False) -> str:
    """What TFLM does with `data` in that arena: "ok", "refused", or "crashed" (by a signal).

    In a forked child of this process: at some short arenas TFLM crashes instead of refusing.
    """
    pid = os.fork()
    if pid == 0:
        code = 1
        faulthandler.disable()  # pytest's would print a traceback for the expected crash
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=arena_size)
            if invoke:
                details = interpreter.get_input_details(0)
                interpreter.set_input(np.zeros(details["shape"], details["dtype"]), 0)
                interpreter.invoke()
            code = 0
        except RuntimeError:
            pass
        finally:
            os._exit(code)
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):
        return "crashed"
    return "ok" if os.WEXITSTATUS(status) == 0 else "refused"


def tflm_loads(data: bytes, arena_size: int, invoke: bool = False) -> bool:
    """Whether TFLM loads (and optionally invokes) `data` in that arena."""
    return tflm_outcome(data, arena_size, invoke) == "ok"


def tflm_report(data: bytes) -> str:
    """RecordingMicroAllocator's report for `data`, loaded and invoked here."""
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=4 << 20)
    details = interpreter.get_input_details(0)
    interpreter.set_input(np.zeros(details["shape"], details["dtype"]), 0)
    interpreter.invoke()
    return _fd2_text(interpreter.print_allocations)


def wake_word_models() -> dict[str, tuple[bytes, dict]]:
    """ESPHome micro_wake_word streaming models, as pymicro-wakeword ships them: name ->
    (the .tflite file, its JSON manifest). Real models from shipping products, with resource
    variables, on which TFLM crashes at some arenas below the one they need."""
    try:
        folder = importlib.resources.files("pymicro_wakeword") / "models"
    except ModuleNotFoundError:
        return {}
    found = {}
    for manifest in sorted(folder.iterdir(), key=lambda f: f.name):
        if manifest.name.endswith(".json"):
            entry = json.loads(manifest.read_text())
            found[manifest.name.removesuffix(".json")] = (
                (folder / entry["model"]).read_bytes(), entry)
    return found
