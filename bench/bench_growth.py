"""How the registry's whole-fleet work grows with the fleet: 10k, 30k, 100k and 300k devices.

For each size a fresh store is filled through Oxigraph's bulk loader (the anchor: its time
grows with the quads and nothing of ours is in it), then timed: the device rows read whole
(devices/rows.py), the compatibility engine built whole, the engine read back from its
snapshot (what a CLI command starts from), and the store's size on disk; the rows and the
build also in CPU seconds of this process. Printed per step:
each figure's growth factor beside the devices' (3x or 3.3x); linear work grows by about
the same factor. TINYREG_BENCH_SIZES (comma-separated) picks other sizes.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench_web import load_fleet
from common import disk_mb, report
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.compat import snapshot
from tinyreg.registry.compat.engine import Engine, fleet_engine
from tinyreg.registry.compat.shapes import read_constraints
from tinyreg.registry.devices.rows import DeviceRows

SIZES = [int(n) for n in os.environ.get("TINYREG_BENCH_SIZES", "10000,30000,100000,300000").split(",")]


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _cpu_timed(fn) -> tuple[float, float, object]:
    """Wall and CPU seconds: on a shared machine the CPU seconds are the steadier figure."""
    cpu = time.process_time()
    wall, out = _timed(fn)
    return wall, time.process_time() - cpu, out


def measure(n: int, tmp: str) -> dict[str, float]:
    data = Path(tmp) / f"data-{n}"
    registry = Registry(load_settings(environ={}, data_dir=str(data)))
    registry.init()
    try:
        load, _ = _timed(lambda: load_fleet(registry.store, n))
        rows, rows_cpu, found = _cpu_timed(lambda: DeviceRows.read(registry.store))
        assert len(found.rows) == n, len(found.rows)
        engine_s, engine_cpu, engine = _cpu_timed(lambda: Engine.load(registry.store))
        fleet_engine(registry)  # builds again and writes the snapshot
        constraints = read_constraints()
        from_snapshot, kept = _timed(lambda: snapshot.load(registry, constraints))
        assert kept is not None and kept.fleet.shape == engine.fleet.shape
        registry.store.flush()
        figures = {"bulk load (anchor)": load, "device rows": rows, "device rows (CPU)": rows_cpu,
                   "engine build": engine_s, "engine build (CPU)": engine_cpu,
                   "engine from snapshot": from_snapshot,
                   "store on disk (MiB)": disk_mb(data / "store")}
    finally:
        registry.close()
    print(f"{n} devices: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    return figures


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            results.append((n, measure(n, tmp)))
    for (n0, a), (n1, b) in zip(results, results[1:]):
        step = n1 / n0
        print(f"{n0} -> {n1} devices ({step:.1f}x):", flush=True)
        for key in a:
            if key != "bulk load (anchor)":
                print(f"   {key}: {b[key] / a[key]:.2f}x", flush=True)
        report(f"growth of the engine build, {n0} -> {n1}", b["engine build"] / a["engine build"],
               b["bulk load (anchor)"] / a["bulk load (anchor)"], "growth of the bulk load",
               unit="x", target=f"~{step:.1f}x (linear)")
        report(f"growth of the device rows, {n0} -> {n1}", b["device rows"] / a["device rows"],
               b["bulk load (anchor)"] / a["bulk load (anchor)"], "growth of the bulk load",
               unit="x", target=f"~{step:.1f}x (linear)")
