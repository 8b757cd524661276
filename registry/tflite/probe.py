"""The child side of the sandbox: loads one model into one interpreter, reports in JSON.

    python -m tinyreg.registry.tflite.probe tflm FILE --max-memory N --max-arena N
    python -m tinyreg.registry.tflite.probe litert FILE --max-memory N

FILE "-" reads the model from stdin. `sandbox.run_probe` runs it for the registry; run by
hand it is a debugging aid. It caps its own address space first (see sandbox.py).

It imports nothing from tinyreg, so the sandbox runs it as a plain script: a probe then
starts with NumPy and one interpreter loaded, not the registry and its RDF stack.

The interpreters print from C++ straight to file descriptor 2, so every call into them is
made with fd 2 sent to a temporary file, and that text travels with the outcome.

For tests, TINYREG_PROBE_FAULT=abort|hang|memory makes the probe fail in that way once it
has read the model, the way a crashing, spinning or leaking interpreter would.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Below about 500 bytes TFLM's Python wrapper crashes instead of failing (its first
# allocations go unchecked), so the search for the minimum arena never goes under 1 KiB.
SMALLEST_PROBED_ARENA = 1024
_LOG_LIMIT = 8192  # characters of interpreter output kept with an outcome
_LOG_FILE_LIMIT = 16 << 20


def _call(fn, *args):
    """fn(*args) with fd 2 captured: (its result, or the exception it raised; the text)."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            result = fn(*args)
        except (RuntimeError, ValueError) as exc:  # how both interpreters refuse a model
            result = exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read().decode("utf-8", "replace").replace("\r", "")
    return result, text[-_LOG_LIMIT:]


_RECORDED = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")
_CATEGORY = re.compile(r"'([^']+)' used (\d+) bytes with alignment overhead "
                       r"\(requested (\d+) bytes for (\d+) ")


def parse_allocations(text: str) -> dict:
    """RecordingMicroAllocator's report: total, head and tail bytes, and the breakdown
    [category, bytes used, bytes requested, allocations] of the categories it records."""
    recorded = {name: int(value) for name, value in _RECORDED.findall(text)}
    return {"total": recorded.get("total", 0), "head": recorded.get("head", 0),
            "tail": recorded.get("tail", 0),
            "breakdown": [[name, int(used), int(requested), int(count)]
                          for name, used, requested, count in _CATEGORY.findall(text)]}


def _failed(outcome) -> bool:
    return isinstance(outcome, Exception)


def _invoke_tflm_on_zeros(interpreter) -> None:
    index = 0
    while True:
        try:
            details = interpreter.get_input_details(index)
        except IndexError:  # past the last input
            break
        interpreter.set_input(np.zeros(details["shape"], details["dtype"]), index)
        index += 1
    interpreter.invoke()


def tflm(data: bytes, max_arena: int) -> dict:
    from tflite_micro.python.tflite_micro import runtime

    # Each Interpreter() unpacks the whole model in Python to count its resource variables
    # (tens of ms for 500 KB), and the search for the minimum loads the model ~20 times.
    # The count cannot change between loads of one model: count once.
    resource_variables = runtime.count_resource_variables(data)
    runtime.count_resource_variables = lambda model: resource_variables

    def load(size: int):
        return runtime.Interpreter.from_bytes(data, arena_size=size)

    # TFLM's own default is ten times the model; activations can outweigh small weights.
    arena = min(max_arena, max(1 << 20, 10 * len(data)))
    interpreter, log = _call(load, arena)
    if _failed(interpreter) and arena < max_arena:
        # Too small an arena or a refused model: the largest arena allowed tells them apart.
        arena = max_arena
        interpreter, log = _call(load, arena)
    if _failed(interpreter):
        return {"stage": "allocate", "arena": arena, "log": log}
    outcome, log = _call(_invoke_tflm_on_zeros, interpreter)
    if _failed(outcome):
        return {"stage": "invoke", "arena": arena, "log": log}
    _, allocations = _call(interpreter.print_allocations)
    del interpreter
    recorded = parse_allocations(allocations)
    return {"stage": None, "arena": arena, "recorded": recorded,
            "minimum_arena": _minimum_arena(load, arena, recorded["total"])}


def _minimum_arena(load, works_at: int, recorded_total: int) -> int:
    """Bisects for the smallest arena the model loads with, then confirms it invokes."""
    def loads(size: int) -> bool:
        return not _failed(_call(load, size)[0])

    low, high = SMALLEST_PROBED_ARENA - 1, works_at  # low is taken to fail, high works
    # The minimum is usually within half again of the recorded total: narrow to that first.
    guess = recorded_total + recorded_total // 2 + SMALLEST_PROBED_ARENA
    if guess < high:
        if loads(guess):
            high = guess
        else:
            low = guess
    while high - low > 1:
        middle = (low + high) // 2
        if loads(middle):
            high = middle
        else:
            low = middle
    confirmed, _ = _call(lambda: _invoke_tflm_on_zeros(load(high)))
    return works_at if _failed(confirmed) else high


def litert(data: bytes) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    inputs = []  # [name, shape, shape signature] of each, once the model has loaded

    def run() -> None:
        interpreter = Interpreter(model_content=data, num_threads=1)
        inputs.extend([d["name"], d["shape"].tolist(), d["shape_signature"].tolist()]
                      for d in interpreter.get_input_details())
        interpreter.allocate_tensors()
        for details in interpreter.get_input_details():
            interpreter.set_tensor(details["index"], np.zeros(details["shape"], details["dtype"]))
        interpreter.invoke()

    outcome, _ = _call(run)  # LiteRT's log repeats what its exception says
    return {"error": str(outcome) if _failed(outcome) else None, "inputs": inputs}


def _limit_resources(max_memory: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_memory = min(max_memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The only files written are the captured interpreter logs: a model that makes an
    # interpreter print without end is stopped (SIGXFSZ) instead of filling the disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, (_LOG_FILE_LIMIT, _LOG_FILE_LIMIT))


def _fault(kind: str, max_memory: int) -> None:
    if kind == "abort":
        os.abort()
    if kind == "hang":
        time.sleep(3600)
    if kind == "memory":
        bytearray(max_memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinyreg.registry.tflite.probe",
                                     description="Load a .tflite model into one interpreter "
                                                 "and report the outcome as JSON.")
    runtimes = parser.add_subparsers(dest="runtime", required=True)
    # The limits are required: they are the registry's settings, which sandbox.py passes.
    for runtime in ("tflm", "litert"):
        command = runtimes.add_parser(runtime)
        command.add_argument("file", help="the .tflite file, - for standard input")
        command.add_argument("--max-memory", type=int, required=True,
                             help="address-space limit in bytes")
        if runtime == "tflm":
            command.add_argument("--max-arena", type=int, required=True,
                                 help="largest tensor arena to try, in bytes")
    args = parser.parse_args(argv)
    _limit_resources(args.max_memory)
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    if fault := os.environ.get("TINYREG_PROBE_FAULT"):
        _fault(fault, args.max_memory)
    result = tflm(data, args.max_arena) if args.runtime == "tflm" else litert(data)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
