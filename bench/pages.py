"""Pages and API listings of a large registry while it changes: warm, the first request after
a device is added, the first after a deployment report, and four requests at once after a
write. The warm figure, measured in the same run, is the anchor; the target is 100 ms.

The app runs in this process (Flask's test client, no HTTP): what is timed is the registry's
work for a page, which a write used to throw away whole. A deployment report is written as
the pull endpoint writes one: an update of the deployment's graph, logged with the
deployments' namespace (deploy/records.activate).
"""
from __future__ import annotations

import statistics
import threading
import time

from common import report
from tinyreg.registry.vocab import DEPLOYMENT_BASE, TR
from tinyreg.web.app import create_app

TARGET_S = 0.1
REPEAT = 5
CONCURRENT = 4


def _get(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.data[:200]!r}")
    return seconds


def _at_once(app, url: str) -> float:
    """The slowest of CONCURRENT requests for `url` started together."""
    barrier, times = threading.Barrier(CONCURRENT), []

    def one() -> None:
        client = app.test_client()
        barrier.wait(timeout=600)
        times.append(_get(client, url))
    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1200)
    return max(times)


def run(registry, values: dict[str, str], devices) -> None:
    """`devices` yields (IRI, N-Triples) of new devices to add, one per write."""
    model = values["model"].rstrip("/").split("/")
    timed(registry, ["/", "/devices", "/compat", "/api/devices?limit=50",
                     f"/api/models/{model[-2]}@{model[-1].lstrip('v')}/devices?limit=50"], devices)


def timed(registry, urls: list[str], devices, tag: str = "bench-pages", before=None) -> None:
    """Each of `urls` warm, after a device add and after a deployment report (medians of
    REPEAT), and the slowest of CONCURRENT at once after an add; `before()`, when given, runs
    after each write and before the timed request."""
    app = create_app({"TESTING": True}, registry=registry)
    client = app.test_client()
    start = time.perf_counter()
    for url in urls:
        _get(client, url)
    print(f"pages: first requests (engine and rows read whole) {time.perf_counter() - start:.1f} s",
          flush=True)
    written = iter(range(1_000_000))

    def add_device() -> None:
        registry.store.put_graph(*next(devices))

    def deployment_report() -> None:
        d = f"{DEPLOYMENT_BASE}{tag}-{next(written)}"
        registry.store.update_graphs(
            f"INSERT DATA {{ GRAPH <{d}> {{ <{d}> a <{TR}Deployment> ; <{TR}status> <{TR}Active> }} }}",
            [d], under=[DEPLOYMENT_BASE])

    for url in urls:
        warm = statistics.median(_get(client, url) for _ in range(REPEAT))
        for name, write in (("after adding a device", add_device),
                            ("after a deployment report", deployment_report)):
            times = []
            for _ in range(REPEAT):
                write()
                if before is not None:
                    before()
                times.append(_get(client, url))
            report(f"{url} {name} (median of {REPEAT})", statistics.median(times), warm,
                   "the same page warm", target=f"< {TARGET_S * 1000:.0f} ms")
        add_device()
        report(f"{url} after adding a device, slowest of {CONCURRENT} at once", _at_once(app, url),
               warm, "the same page warm", target=f"< {TARGET_S * 1000:.0f} ms")
