"""The device list pages of a registry built once, timed as pages.py times the dashboard:
warm (the anchor), after a device add, after a deployment report (medians of 5) and the
slowest of four at once after an add. Reuses a data directory bench_web.build made (built
there when it is missing), so that a filter can be timed without a 100,000-device build each
run: `python bench/device_pages.py DATA_DIR [URL ...]` (default `/devices`).
TINYREG_BENCH_FRESH_ENGINE=1 brings the engine up to date before each timed request, to
time the list's own work apart from the engine's refresh."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from bench_web import build, fleet  # noqa: E402
from common import report  # noqa: E402
from pages import CONCURRENT, REPEAT, TARGET_S, _at_once, _get  # noqa: E402
from tinyreg.registry import Registry, load_settings  # noqa: E402
from tinyreg.registry.compat import fleet_engine  # noqa: E402
from tinyreg.registry.vocab import DEPLOYMENT_BASE, TR  # noqa: E402
from tinyreg.web.app import create_app  # noqa: E402


def main(data: str, urls: list[str]) -> None:
    if not Path(data).exists():
        build(data)
    fresh = os.environ.get("TINYREG_BENCH_FRESH_ENGINE") == "1"
    registry = Registry(load_settings(environ={}, data_dir=data))
    app = create_app({"TESTING": True}, registry=registry)
    client = app.test_client()
    start = time.perf_counter()
    for url in urls:
        _get(client, url)
    print(f"first requests {time.perf_counter() - start:.1f} s", flush=True)
    run = int(time.time())
    devices = fleet(10 * len(urls) * (2 * REPEAT + 1), 10_000_000 + run % 1_000_000 * 100)
    written = iter(range(1_000_000))

    def add_device() -> None:
        registry.store.put_graph(*next(devices))

    def deployment_report() -> None:
        d = f"{DEPLOYMENT_BASE}bench-device-pages-{run}-{next(written)}"
        registry.store.update_graphs(
            f"INSERT DATA {{ GRAPH <{d}> {{ <{d}> a <{TR}Deployment> ; <{TR}status> <{TR}Active> }} }}",
            [d], under=[DEPLOYMENT_BASE])

    target = f"< {TARGET_S * 1000:.0f} ms"
    for url in urls:
        warm = statistics.median(_get(client, url) for _ in range(REPEAT))
        for name, write in (("after adding a device", add_device),
                            ("after a deployment report", deployment_report)):
            times = []
            for _ in range(REPEAT):
                write()
                if fresh:
                    fleet_engine(registry)
                times.append(_get(client, url))
            report(f"{url} {name} (median of {REPEAT})", statistics.median(times), warm,
                   "the same page warm", target=target)
        add_device()
        report(f"{url} after adding a device, slowest of {CONCURRENT} at once", _at_once(app, url),
               warm, "the same page warm", target=target)
    fleet_engine(registry)  # a refresh still running in its thread ends before the store closes
    registry.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python bench/device_pages.py DATA_DIR [URL ...]")
    main(sys.argv[1], sys.argv[2:] or ["/devices"])
