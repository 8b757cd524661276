"""What every benchmark shares: timing, peak memory, and the one report line format."""
from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path
from typing import Callable


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `repeat` runs, in seconds (the median resists a noisy neighbour)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path) -> float:
    """What the files below `path` take on disk, in MiB."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def report(name: str, ours: float, anchor: float, anchor_name: str, unit: str = "s",
           target: str = "") -> None:
    """Print our figure, the anchor measured in the same run, and the ratio."""
    ratio = anchor / ours if ours else float("inf")
    line = (f"{name}: {ours:.4f} {unit} | anchor ({anchor_name}): {anchor:.4f} {unit} | "
            f"anchor/ours = {ratio:.1f}x")
    if target:
        line += f" | target {target}"
    print(line, flush=True)
