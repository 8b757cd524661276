"""The arena estimate (registry/tflite/estimate.py) against TFLM's measured minimum, model by
model: every model TFLM measures among the project's own (registry/tflite/writer.py) and the
.tflite files installed packages ship (see bench_realmodels.py for the install commands; the
test extras bring pymicro-wakeword's streaming models and tflite-micro's sine model).

    python bench/run.py arena_estimate

Each line: model, measured minimum (the smallest arena TFLM loads and runs it with, found by
the probe's search), the estimate, and the error in per cent; then the time to estimate
against the time to measure (the anchor, in the same run). The target is +/-10 %.
"""
from __future__ import annotations

import time

from bench_realmodels import packaged_models
from common import report
from tinyreg.registry.tflite import analyse, estimate_file, writer
from tinyreg.registry.tflite.tflm import measure_tflm

MAX_BYTES = 64 << 20
TARGET = 10.0

def models() -> list[tuple[str, bytes]]:
    found = [(f"writer {name}", make()) for name, make in writer.VARIANTS.items()]
    found += [(f"{package}/{path.name}", path.read_bytes()) for package, path in packaged_models()]
    return found


def main() -> None:
    rows, estimating, measuring = [], 0.0, 0.0
    print(f"{'model':58} {'measured':>10} {'estimate':>10} {'error':>7}")
    for name, data in models():
        start = time.perf_counter()
        result = measure_tflm(data, analyse(data, max_bytes=MAX_BYTES), timeout_s=300)
        took = time.perf_counter() - start
        if not result.runs:
            print(f"{name:58} {'-':>10} {'-':>10}   (TFLM: {result.reason[:60]})")
            continue
        start = time.perf_counter()
        estimate = estimate_file(data, max_bytes=MAX_BYTES).total_bytes
        estimating += time.perf_counter() - start
        measuring += took
        error = 100 * (estimate - result.minimum_arena) / result.minimum_arena
        rows.append(error)
        print(f"{name:58} {result.minimum_arena:>10,} {estimate:>10,} {error:>+6.1f}%", flush=True)
    worst = max(rows, key=abs)
    within = sum(abs(e) <= TARGET for e in rows)
    print(f"{len(rows)} models TFLM measures: {within} within +/-{TARGET:g} %, worst {worst:+.1f} %")
    report("estimate, all models", estimating, measuring, "TFLM measurement (probe search)",
           target=f"every model within +/-{TARGET:g} %")


if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
