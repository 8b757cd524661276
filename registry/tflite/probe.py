"""The child side of the sandbox: loads one model into one interpreter, reports in JSON.

    python -m tinyreg.registry.tflite.probe tflm FILE --max-memory N --max-arena N \\
        --trial-timeout S
    python -m tinyreg.registry.tflite.probe litert FILE --max-memory N
    python -m tinyreg.registry.tflite.probe vela FILE --max-memory N --accelerator A \\
        --system-config S --memory-mode M

FILE "-" reads the model from stdin. `sandbox.run_probe` runs it for the registry; run by
hand it is a debugging aid. It caps its own address space first (see sandbox.py).

It imports nothing from tinyreg, so the sandbox runs it as a plain script: a probe then
starts with NumPy and one interpreter (or Arm's Vela compiler) loaded, not the registry and
its RDF stack.

The interpreters print from C++ straight to file descriptor 2, so every call into them is
made with fd 2 sent to a temporary file, and that text travels with the outcome.

For tests, TINYREG_PROBE_FAULT=abort|hang|memory makes the probe fail in that way once it
has read the model, the way a crashing, spinning or leaking interpreter would;
crash-below:N|hang-below:N makes each TFLM trial at an arena under N bytes do so (see
`_trial`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import select
import signal
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


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _Trials:
    """Loads (and invokes) at given arena sizes, each in a forked child that serves trials
    until one kills it.

    TFLM does not always fail cleanly when an arena is too small: some models make it write
    past a failed allocation and crash ("Failed to allocate tail memory", then SIGSEGV). Such
    a crash or a hang is what happened at that size, nothing more, so trials run in a child:
    when one dies or overruns, the next trial forks a fresh child and the search goes on. One
    child serves every trial until then, because a fork costs more than a small model's load.
    `run` returns {"outcome": "ok" | "refused" | "crashed" | "timed out", ...}.
    """

    def __init__(self, load, timeout_s: float):
        self.load, self.timeout_s = load, timeout_s
        self.child: tuple[int, int, int] | None = None  # pid, request fd, answer fd
        self.failures: list[list] = []  # [arena, how the child died] of every crash or hang

    def run(self, size: int, *, invoke: bool = False, record: bool = False) -> dict:
        if self.child is None:
            self.child = self._fork()
        os.write(self.child[1], (json.dumps([size, invoke, record]) + "\n").encode())
        answer = _read_line(self.child[2], self.timeout_s)
        if answer:
            return json.loads(answer)
        status = self.close(kill=answer is None)
        if status is None:
            failure = f"timed out after {self.timeout_s:g} s"
        elif os.WIFSIGNALED(status):
            failure = f"killed by {_signal_name(os.WTERMSIG(status))}"
        else:
            failure = f"exited with status {os.WEXITSTATUS(status)}"
        self.failures.append([size, failure])
        return {"outcome": "timed out" if status is None else "crashed", "failure": failure}

    def close(self, kill: bool = False) -> int | None:
        """Ends the child (its requests end; `kill`: it overran) and returns its wait status,
        None when it was killed."""
        if self.child is None:
            return None
        pid, requests, answers = self.child
        self.child = None
        os.close(requests)
        os.close(answers)
        if kill:
            os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        return None if kill else status

    def _fork(self) -> tuple[int, int, int]:
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: serves until its requests end, never returns
            os.close(from_parent)
            os.close(to_parent)
            code = 0
            try:
                with os.fdopen(to_child) as requests, os.fdopen(from_child, "w") as answers:
                    for line in requests:
                        size, invoke, record = json.loads(line)
                        result = _trial_in_child(self.load, size, invoke=invoke, record=record)
                        answers.write(json.dumps(result) + "\n")
                        answers.flush()
            except BaseException:  # reported as the child's death: no answer on the pipe
                code = 70
            os._exit(code)
        os.close(to_child)
        os.close(from_child)
        return pid, from_parent, to_parent


def _trial_in_child(load, size: int, *, invoke: bool, record: bool) -> dict:
    if fault := os.environ.get("TINYREG_PROBE_FAULT", ""):
        _trial_fault(fault, size)
    try:
        interpreter, log = _call(load, size)
        if _failed(interpreter):
            return {"outcome": "refused", "stage": "allocate", "log": log}
        if invoke:
            outcome, log = _call(_invoke_tflm_on_zeros, interpreter)
            if _failed(outcome):
                return {"outcome": "refused", "stage": "invoke", "log": log}
    except MemoryError:
        return {"outcome": "refused", "stage": "allocate",
                "log": f"an arena of {size} bytes does not fit the probe's address-space limit"}
    result = {"outcome": "ok"}
    if record:
        result["recorded"] = parse_allocations(_call(interpreter.print_allocations)[1])
    return result


def _read_line(fd: int, timeout_s: float) -> str | None:
    """One line from `fd` within `timeout_s`; "" when the writer is gone, None on overrunning."""
    deadline = time.monotonic() + timeout_s
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return ""
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks).decode("utf-8", "replace")


def tflm(data: bytes, max_arena: int, trial_timeout_s: float) -> dict:
    from tflite_micro.python.tflite_micro import runtime

    # Each Interpreter() unpacks the whole model in Python to count its resource variables
    # (tens of ms for 500 KB), and the search for the minimum loads the model ~20 times.
    # The count cannot change between loads of one model: count once.
    resource_variables = runtime.count_resource_variables(data)
    runtime.count_resource_variables = lambda model: resource_variables

    def load(size: int):
        return runtime.Interpreter.from_bytes(data, arena_size=size)

    trials = _Trials(load, trial_timeout_s)
    try:
        return _search(trials, max_arena, len(data))
    finally:
        trials.close()


def _search(trials: _Trials, max_arena: int, model_bytes: int) -> dict:
    trial = trials.run
    # TFLM's own default is ten times the model; activations can outweigh small weights.
    # A refusal or a crash there may be a short arena: the largest allowed tells them apart.
    for arena in sorted({min(max_arena, max(1 << 20, 10 * model_bytes)), max_arena}):
        first = trial(arena, invoke=True, record=True)
        if first["outcome"] == "ok":
            minimum = _minimum_arena(lambda size: trial(size)["outcome"] == "ok",
                                     lambda size: trial(size, invoke=True)["outcome"] == "ok",
                                     arena, first["recorded"]["total"])
            return {"stage": None, "arena": arena, "recorded": first["recorded"],
                    "minimum_arena": minimum, "failures": trials.failures}
    if first["outcome"] == "refused":
        # Only a clean refusal at the largest arena says that the model does not run.
        return {"stage": first["stage"], "arena": arena, "log": first["log"],
                "failures": trials.failures}
    return {"stage": "unmeasured", "arena": arena, "failures": trials.failures}


def _minimum_arena(loads, runs, works_at: int, recorded_total: int) -> int:
    """Bisects for the smallest arena the model loads with, then confirms that it invokes.

    `loads(size)` is False for a size that refused, crashed or hung alike: each tells about
    that size only, and the bisection needs no more than a working size above a failing one.
    """
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
    return high if runs(high) else works_at


def _heap_in_use():
    """Bytes glibc's malloc has handed out and not taken back (mallinfo2: small blocks plus
    mmapped ones), or None where there is no glibc 2.33+. The interpreter's C++ allocates
    through malloc; Python's small objects come from its own arenas and do not count."""
    import ctypes

    class _MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return None
    mallinfo2.restype = _MallInfo2

    def in_use() -> int:
        info = mallinfo2()
        return info.uordblks + info.hblkhd
    return in_use


def litert(data: bytes) -> dict:
    """Loads, allocates and invokes once; reports the error, or the heap the interpreter
    holds afterwards (its tensors, arena and kernels' state: what it keeps while it runs)."""
    import gc

    from ai_edge_litert.interpreter import Interpreter

    inputs = []  # [name, shape, shape signature] of each, once the model has loaded
    heap = _heap_in_use()
    held = []

    def run() -> None:
        gc.collect()
        before = heap() if heap else None
        interpreter = Interpreter(model_content=data, num_threads=1)
        inputs.extend([d["name"], d["shape"].tolist(), d["shape_signature"].tolist()]
                      for d in interpreter.get_input_details())
        interpreter.allocate_tensors()
        for details in interpreter.get_input_details():
            interpreter.set_tensor(details["index"], np.zeros(details["shape"], details["dtype"]))
        interpreter.invoke()
        gc.collect()
        if before is not None:
            held.append(max(0, heap() - before))

    outcome, _ = _call(run)  # LiteRT's log repeats what its exception says
    return {"error": str(outcome) if _failed(outcome) else None, "inputs": inputs,
            "heap_bytes": held[0] if held else None}


def vela(data: bytes, accelerator: str, system_config: str, memory_mode: str) -> dict:
    """Compiles the model with Arm's Vela for one Ethos-U configuration and reports the
    summary Vela writes: SRAM and flash used, operators on the NPU and the CPU, cycles."""
    import csv

    from ethosu.vela.vela import main as vela_main

    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "model.tflite"
        model.write_bytes(data)
        out = Path(folder) / "out"
        args = [str(model), "--accelerator-config", accelerator, "--config", "Arm/vela.ini",
                "--system-config", system_config, "--memory-mode", memory_mode,
                "--output-dir", str(out)]
        # Vela prints its report on stdout, where this probe's JSON goes: capture both.
        sys.stdout.flush()
        saved = os.dup(1)
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 1)
            try:
                code, log = _call(vela_main, args)
            except (SystemExit, Exception) as exc:  # an option refused, a model it cannot take
                code, log = exc, str(exc)
            finally:
                sys.stdout.flush()
                os.dup2(saved, 1)
                os.close(saved)
            sink.seek(0)
            printed = sink.read().decode("utf-8", "replace")
        summaries = sorted(out.glob("*_summary_*.csv")) if out.is_dir() else []
        if isinstance(code, BaseException) or code or not summaries:
            lines = [l for l in (log + printed).splitlines() if l.strip()]
            return {"error": lines[-1] if lines else f"Vela failed ({code})"}
        with summaries[0].open() as f:
            row = next(csv.DictReader(f))
    operators = dict(re.findall(r"^(CPU|NPU) operators = (\d+)", printed, re.MULTILINE))

    def kib(name: str) -> int:
        return round(float(row[name]) * 1024)

    return {"error": None, "sram_bytes": kib("sram_memory_used"),
            "off_chip_flash_bytes": kib("off_chip_flash_memory_used"),
            "on_chip_flash_bytes": kib("on_chip_flash_memory_used"),
            "dram_bytes": kib("dram_memory_used"),
            "npu_operators": int(operators.get("NPU", 0)),
            "cpu_operators": int(operators.get("CPU", 0)),
            "cycles": round(float(row["cycles_total"])),
            "inference_s": float(row["inference_time"]),
            "clock_hz": float(row["core_clock"])}


def _limit_resources(max_memory: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_memory = min(max_memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The only files written are the captured interpreter logs: a model that makes an
    # interpreter print without end is stopped (SIGXFSZ) instead of filling the disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, (_LOG_FILE_LIMIT, _LOG_FILE_LIMIT))


def _trial_fault(fault: str, size: int) -> None:
    """TINYREG_PROBE_FAULT=crash-below:N|hang-below:N: a trial at an arena under N bytes dies
    by SIGSEGV or hangs, the way TFLM does for some models at some short arenas."""
    kind, _, limit = fault.partition("-below:")
    if limit and size < int(limit):
        if kind == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if kind == "hang":
            time.sleep(3600)


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
    for runtime in ("tflm", "litert", "vela"):
        command = runtimes.add_parser(runtime)
        command.add_argument("file", help="the .tflite file, - for standard input")
        command.add_argument("--max-memory", type=int, required=True,
                             help="address-space limit in bytes")
        if runtime == "tflm":
            command.add_argument("--max-arena", type=int, required=True,
                                 help="largest tensor arena to try, in bytes")
            command.add_argument("--trial-timeout", type=float, required=True,
                                 help="seconds one load at one arena size may take")
        if runtime == "vela":
            command.add_argument("--accelerator", required=True, help="e.g. ethos-u55-128")
            command.add_argument("--system-config", required=True,
                                 help="a system configuration of Vela's Arm/vela.ini")
            command.add_argument("--memory-mode", required=True,
                                 help="a memory mode of Vela's Arm/vela.ini, e.g. Shared_Sram")
    args = parser.parse_args(argv)
    _limit_resources(args.max_memory)
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    if fault := os.environ.get("TINYREG_PROBE_FAULT"):
        _fault(fault, args.max_memory)
    if args.runtime == "tflm":
        result = tflm(data, args.max_arena, args.trial_timeout)
    elif args.runtime == "vela":
        result = vela(data, args.accelerator, args.system_config, args.memory_mode)
    else:
        result = litert(data)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
