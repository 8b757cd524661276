"""Registering .tflite models: analysis in-process, then TFLM and LiteRT in sandboxed probes.

The model is the writer's MobileNet-like int8 classifier, about 550 KB, the size of a small
vision or keyword-spotting model. Anchors, measured in the same run:
- analysis: SHA-256 of the file plus a walk of every tensor and operator with the `tflite`
  package's generated (unchecked) readers;
- one model, and 25 distinct ones two at a time: a fresh Python process that only loads the
  file into TFLM and prints its allocations, the least one can do to learn a model's arena.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tflite.Model import Model

from common import best_of, report
from tinyreg.registry.tflite import analyse, measure_file, writer

MODELS = 25
WORKERS = 2  # the work runs in child processes; two threads keep two cores busy
MAX_BYTES = 16 << 20
TIMEOUT_S = 60

BARE_TFLM = """
import sys
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
runtime.Interpreter.from_bytes(data, arena_size=10 * len(data)).print_allocations()
"""


def generated_reader_walk(data: bytes) -> int:
    hashlib.sha256(data).hexdigest()
    model, seen = Model.GetRootAs(data, 0), 0
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for t in range(subgraph.TensorsLength()):
            tensor = subgraph.Tensors(t)
            quant = tensor.Quantization()
            seen += len(tensor.ShapeAsNumpy()) + tensor.Type() + tensor.Buffer()
            if quant is not None:
                seen += quant.ScaleLength() + quant.ZeroPointLength()
        for o in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(o)
            seen += op.OpcodeIndex() + op.InputsLength() + op.OutputsLength()
    return seen


def bare_tflm(path: Path) -> None:
    subprocess.run([sys.executable, "-c", BARE_TFLM, str(path)], check=True,
                   capture_output=True)


def measure(data: bytes):
    report_ = measure_file(data, max_bytes=MAX_BYTES, timeout_s=TIMEOUT_S)
    assert report_.tflm.runs and report_.litert.runs, (report_.tflm.reason, report_.litert.reason)
    return report_


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    # Distinct files (the class count changes the classifier), written before any timing.
    models = [writer.vision(classes=10 + i) for i in range(MODELS)]
    data = models[0]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, model in enumerate(models):
            paths.append(Path(tmp) / f"vision{i}.tflite")
            paths[-1].write_bytes(model)

        result = measure(data)
        a, tflm = result.analysis, result.tflm
        print(f"model: {a.byte_size} bytes, {a.parameter_count} parameters, {a.macs} MACs, "
              f"{a.number_format}; TFLM arena {tflm.arena.total} bytes recorded, "
              f"minimum {tflm.minimum_arena}")

        report("analyse one 550 KB model", best_of(lambda: analyse(data, max_bytes=MAX_BYTES)),
               best_of(lambda: generated_reader_walk(data)),
               "SHA-256 + generated-reader walk")
        report("measure_file one 550 KB model", best_of(lambda: measure(data), 3),
               best_of(lambda: bare_tflm(paths[0]), 3), "bare TFLM load in a fresh process",
               target="< 1 s")
        with ThreadPoolExecutor(WORKERS) as pool:
            ours = timed(lambda: list(pool.map(measure, models)))
            anchor = timed(lambda: list(pool.map(bare_tflm, paths)))
        report(f"measure_file {MODELS} models, {WORKERS} at a time", ours, anchor,
               "bare TFLM loads, as many at a time", target="< 10 s")


if __name__ == "__main__":
    main()
