"""Runs the probe (probe.py) on a model in a child process, within time and memory limits.

Interpreters are C++ that trusts the file it is given: a hostile or merely unusual model can
crash them, spin, or allocate without bound. The registry must answer "could not measure"
then, not die with them, so every interpreter runs in a fresh process:

- wall-time limit: the child is killed when it overruns (`timeout_s`);
- memory limit: the child caps its own address space (RLIMIT_AS) and the size of the files
  it writes (RLIMIT_FSIZE) before it reads the model, and disables core dumps. The child
  does it, not a `preexec_fn`, because the registry may serve from threads and
  `preexec_fn` is unsafe in a threaded parent.

The probe prints one JSON object on stdout; anything else is a failure described in words.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Not imported: `python -m ...probe` would then find it loaded twice. Run by path instead.
PROBE = Path(__file__).with_name("probe.py")
# The probe's address space: Python, NumPy, an interpreter's libraries and the model's memory.
DEFAULT_MAX_MEMORY = 1 << 30



@dataclass(frozen=True)
class ProbeRun:
    output: dict | None  # what the probe reported, None when it did not finish
    failure: str | None  # why it did not finish, e.g. "killed by SIGSEGV"


def run_probe(runtime: str, data: bytes, *, timeout_s: float, max_memory: int,
              options: tuple[str, ...] = ()) -> ProbeRun:
    """Runs `probe.py runtime - --max-memory N *options` on `data`."""
    # -P: the probe's folder stays off sys.path, where its neighbours could shadow modules.
    command = [sys.executable, "-P", str(PROBE), runtime, "-",
               "--max-memory", str(max_memory), *options]
    # One BLAS thread: the probe needs none, and each idle thread reserves address space.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout_s,
                              env=env)
    except subprocess.TimeoutExpired:
        return ProbeRun(None, f"timed out after {timeout_s:g} s")
    if done.returncode == 0:
        try:
            return ProbeRun(json.loads(done.stdout), None)
        except ValueError:
            return ProbeRun(None, "the probe printed no result")
    return ProbeRun(None, _describe_exit(done.returncode, done.stderr, max_memory))


def _describe_exit(code: int, stderr: bytes, max_memory: int) -> str:
    text = stderr.decode("utf-8", "replace")
    if "MemoryError" in text or "std::bad_alloc" in text:
        return f"ran out of memory (limit {max_memory} bytes)"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"exited with status {code}" + (f": {lines[-1]}" if lines else "")
