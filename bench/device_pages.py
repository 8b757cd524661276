"""The device list pages of a registry built once, timed as pages.py times the dashboard:
warm (the anchor), after a device add, after a deployment report (medians of 5) and the
slowest of four at once after an add. Reuses a data directory bench_web.build made (built
there when it is missing), so that a filter can be timed without a 100,000-device build each
run: `python bench/device_pages.py DATA_DIR [URL ...]` (default `/devices`).
TINYREG_BENCH_FRESH_ENGINE=1 brings the engine up to date before each timed request, to
time the list's own work apart from the engine's refresh."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

import pages  # noqa: E402
from bench_web import build, fleet  # noqa: E402
from pages import REPEAT  # noqa: E402
from tinyreg.registry import Registry, load_settings  # noqa: E402
from tinyreg.registry.compat import fleet_engine  # noqa: E402


def main(data: str, urls: list[str]) -> None:
    if not Path(data).exists():
        build(data)
    fresh = os.environ.get("TINYREG_BENCH_FRESH_ENGINE") == "1"
    registry = Registry(load_settings(environ={}, data_dir=data))
    run = int(time.time())
    devices = fleet(10 * len(urls) * (2 * REPEAT + 1), 10_000_000 + run % 1_000_000 * 100)
    pages.timed(registry, urls, devices, f"bench-device-pages-{run}",
                (lambda: fleet_engine(registry)) if fresh else None)
    fleet_engine(registry)  # a refresh still running in its thread ends before the store closes
    registry.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python bench/device_pages.py DATA_DIR [URL ...]")
    main(sys.argv[1], sys.argv[2:] or ["/devices"])
