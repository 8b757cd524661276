"""The public SPARQL endpoint against the store it serves, on a 100,000-device registry.

A fleet is made by repeating the bundled catalog's boards under new identifiers, with a few
measured demo models, and copied: this process holds one copy open (the anchor: the three
example queries of registry.examples on the embedded store, every solution read) while
`tinyreg serve` (waitress) serves the other, and the same queries go through /sparql over
loopback HTTP with keep-alive, as SPARQL JSON results read to the last byte. The two are
timed in turns, store then endpoint, so that a neighbour's load falls on both alike.
Printed per query: the medians, and the overhead as the median of the paired differences
(target: under 30% of the store's time, or under 2 ms, whichever is larger). Then 16 client
threads send the three queries round-robin, a fixed count each: throughput and errors
through the endpoint, beside the same 16 threads on the store directly (in alternating
rounds).
Then the dashboard's pages and the API's listings on the same registry while it changes
(pages.py). TINYREG_BENCH_DEVICES sets a smaller fleet; TINYREG_BENCH_ONLY=pages skips the
SPARQL part.
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import pages
from common import report
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.examples import EXAMPLES
from tinyreg.registry.sparql_functions import Calls
from tinyreg.registry.models import register_model
from tinyreg.registry.store import IRI
from tinyreg.registry.store.terms import inline_bindings
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import ID, device_iri

DEVICES = int(os.environ.get("TINYREG_BENCH_DEVICES", "100000"))
CLIENTS = 16
ROUNDS, ROUND_REQUESTS = 2, 3  # each client sends 6 requests to each side
FLEET_CHUNK = 10_000
MODELS = (
    ({"name": "Bench KWS", "task": "keyword-spotting", "sensors": ["microphone"],
      "metrics": [{"metric": "accuracy", "value": 0.91}]},
     lambda: writer.conv2d(size=32, channels=1, filters=16)),
    ({"name": "Bench KWS small", "task": "keyword-spotting", "sensors": ["microphone"],
      "metrics": [{"metric": "accuracy", "value": 0.87}]},
     lambda: writer.conv2d(size=16, channels=1, filters=4)),
    ({"name": "Bench wand", "task": "gesture", "sensors": ["accelerometer"],
      "metrics": [{"metric": "accuracy", "value": 0.93}]},
     lambda: writer.fully_connected(inputs=384, units=4)),
)


def fleet(n: int, start: int = 0):
    """n devices: the catalog's boards over and over, each copy under its own IRI, with
    blank node labels of its own (the bulk loader reads all graphs as one document)."""
    templates = [(r.iri, r.ntriples()) for r in iter_catalog()]
    prefix = f"{ID}device/"
    for i in range(start, start + n):
        iri, text = templates[i % len(templates)]
        copy = f"{iri}-fleet-{i}"
        slug = iri[len(prefix):]
        yield copy, text.replace(f"<{iri}>", f"<{copy}>").replace(
            f'"{slug}"', f'"{slug}-fleet-{i}"').replace("_:", f"_:c{i}")


def load_fleet(store, n: int) -> None:
    """Through Oxigraph's bulk loader (the embedded store's `load_new_graphs`), a slice at a
    time so that the text of 100,000 devices is never all in memory at once."""
    graphs = fleet(n)
    while chunk := list(itertools.islice(graphs, FLEET_CHUNK)):
        store.load_new_graphs(chunk)


def build(data_dir: str, devices: int = DEVICES) -> dict[str, str]:
    registry = Registry(load_settings(environ={}, data_dir=data_dir))
    registry.init()
    start = time.perf_counter()
    load_fleet(registry.store, devices)
    print(f"fleet: {devices} devices loaded in {time.perf_counter() - start:.1f} s", flush=True)
    first = None
    for card, build_model in MODELS:
        done = register_model(registry, build_model(), card)
        first = first or done.iri
    registry.close()
    device = f"{device_iri('arduino-nano-33-ble-sense')}-fleet-{_catalog_index('arduino-nano-33-ble-sense')}"
    return {"model": first, "device": device,
            "task": "https://w3id.org/tinyreg/ontology#KeywordSpotting"}


def _catalog_index(slug: str) -> int:
    return next(i for i, r in enumerate(iter_catalog()) if r.iri == device_iri(slug))


def queries(values: dict[str, str]) -> list[tuple[str, str]]:
    return [(e.key, inline_bindings(e.sparql, {p: IRI(values[p]) for p in e.parameters}))
            for e in EXAMPLES]


def on_store(registry):
    # The examples call the registry's SPARQL functions, answered in this process.
    def run(text: str) -> int:
        return len(list(registry.store.raw_query(
            text, use_default_graph_as_union=True,
            custom_functions=Calls(registry).custom_functions())))
    return run


def _repeats(seconds: float) -> int:
    """Runs for a median: 5 of a query that takes seconds, 51 of one that takes milliseconds
    (whose median a single slow run on a shared machine would otherwise move)."""
    return 5 if seconds > 0.1 else 51


def _hammer(run, texts, offset: int) -> tuple[float, int]:
    """CLIENTS threads, each running ROUND_REQUESTS queries round-robin from its own place
    (shifted by `offset`); (seconds, errors)."""
    errors = []

    def client(k: int) -> None:
        for i in range(ROUND_REQUESTS):
            try:
                run(texts[(k + offset + i) % len(texts)][1])
            except Exception as exc:  # counted, and printed below
                errors.append(repr(exc))
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  errors: {len(errors)}, first: {errors[0]}", flush=True)
    return time.perf_counter() - start, len(errors)


def throughput(store_run, endpoint_run, texts) -> tuple[float, float, int]:
    """Requests per second on the store and through the endpoint, in alternating rounds so
    that both see the machine alike; and the endpoint's errors."""
    spent, errors = [0.0, 0.0], 0
    for r in range(ROUNDS):
        for side, run in enumerate((store_run, endpoint_run)):
            seconds, failed = _hammer(run, texts, r * ROUND_REQUESTS)
            spent[side] += seconds
            errors += failed if side == 1 else 0
    requests = CLIENTS * ROUND_REQUESTS * ROUNDS
    return requests / spent[0], requests / spent[1], errors


class Endpoint:
    """One keep-alive HTTP connection per thread to the served /sparql."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def ask(self, text: str) -> bytes:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=300)
        connection.request("POST", "/sparql", body=urllib.parse.urlencode({"query": text}),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
        return body

    def rows(self, text: str) -> int:
        return len(json.loads(self.ask(text))["results"]["bindings"])


def serve(data_dir: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "TINYREG_DATA_DIR": data_dir, "TINYREG_THREADS": "8",
           "TINYREG_SPARQL_TIMEOUT_MS": "600000", "TINYREG_SPARQL_MAX_ROWS": "10000000"}
    process = subprocess.Popen([sys.executable, "-m", "tinyreg.web.cli", "serve", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, text=True)
    process.stderr.readline()  # "tinyreg on http://…": listening
    return process


def paired(first, second, repeat: int) -> tuple[list[float], list[float]]:
    """Times of `first` and `second` run in turns, `repeat` times each."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def endpoint_figures(tmp: str, data_dir: str, values: dict[str, str]) -> None:
    texts = queries(values)
    served_dir = os.path.join(tmp, "served")
    shutil.copytree(data_dir, served_dir)
    registry = Registry(load_settings(environ={}, data_dir=data_dir))
    on_the_store = on_store(registry)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(served_dir, port)
    try:
        endpoint = Endpoint(port)
        for key, text in texts:
            start = time.perf_counter()
            rows = on_the_store(text)
            repeat = _repeats(time.perf_counter() - start)
            assert endpoint.rows(text) == rows, key
            anchor_times, our_times = paired(lambda: on_the_store(text),
                                             lambda: endpoint.ask(text), repeat)
            anchor, ours = statistics.median(anchor_times), statistics.median(our_times)
            overhead = statistics.median(o - a for o, a in zip(our_times, anchor_times))
            target = max(0.3 * anchor, 0.002)
            report(f"/sparql '{key}' ({rows} rows, median of {repeat})", ours, anchor,
                   "same query on the store")
            print(f"   endpoint overhead (median of paired differences) "
                  f"{overhead * 1000:.1f} ms = {100 * overhead / anchor:.0f}% of the store's "
                  f"time; target < {target * 1000:.1f} ms: "
                  f"{'met' if overhead < target else 'NOT met'}", flush=True)
        store_rps, rps, errors = throughput(on_the_store, endpoint.ask, texts)
        print(f"throughput, {CLIENTS} clients x {ROUNDS * ROUND_REQUESTS} requests: "
              f"{rps:.2f} req/s through /sparql, {errors} errors", flush=True)
        report("throughput (requests/s; higher is better)", rps, store_rps,
               "the same 16 threads on the store", unit="req/s")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        registry.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.path.join(tmp, "data")
        values = build(data_dir)
        if os.environ.get("TINYREG_BENCH_ONLY") != "pages":
            endpoint_figures(tmp, data_dir, values)
        registry = Registry(load_settings(environ={}, data_dir=data_dir))
        try:
            pages.run(registry, values, fleet(10_000, start=DEVICES))
        finally:
            registry.close()


if __name__ == "__main__":
    main()
