"""The public SPARQL endpoint against the store it serves, on a 100,000-device registry.

A fleet is made by repeating the bundled catalog's boards under new identifiers, with a few
measured demo models. First the three example queries (registry.examples, bound to one model,
one device and one task) run on the embedded store directly, every solution read (the
anchor). The store is closed and `tinyreg serve` (waitress) serves the same data directory;
the same queries go through /sparql over loopback HTTP with keep-alive, SPARQL JSON results.
Printed per query: median latency through the endpoint, the store's, and the overhead
(target: under 30% of the store's time, or under 2 ms, whichever is larger). Then 16 client
threads send the three queries round-robin, a fixed count each: throughput and errors
through the endpoint, beside the same 16 threads on the store directly.
TINYREG_BENCH_DEVICES sets a smaller fleet.
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from common import best_of, report
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.examples import EXAMPLES
from tinyreg.registry.models import register_model
from tinyreg.registry.store import IRI
from tinyreg.registry.store.terms import inline_bindings
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import ID, device_iri

DEVICES = int(os.environ.get("TINYREG_BENCH_DEVICES", "100000"))
CLIENTS = 16
REQUESTS_PER_CLIENT = 6
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


def fleet(n: int):
    """n devices: the catalog's boards over and over, each copy under its own IRI, with
    blank node labels of its own (the bulk loader reads all graphs as one document)."""
    templates = [(r.iri, r.ntriples()) for r in iter_catalog()]
    prefix = f"{ID}device/"
    for i in range(n):
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


def build(data_dir: str) -> dict[str, str]:
    registry = Registry(load_settings(environ={}, data_dir=data_dir))
    registry.init()
    start = time.perf_counter()
    load_fleet(registry.store, DEVICES)
    print(f"fleet: {DEVICES} devices loaded in {time.perf_counter() - start:.1f} s", flush=True)
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


def on_store(data_dir: str, texts: list[tuple[str, str]]) -> tuple[dict, float, int]:
    registry = Registry(load_settings(environ={}, data_dir=data_dir))
    store = registry.store
    times, rows = {}, {}
    for key, text in texts:
        def run(text=text):
            return list(store.raw_query(text, use_default_graph_as_union=True))
        start = time.perf_counter()
        rows[key] = len(run())
        times[key] = best_of(run, _repeats(time.perf_counter() - start))
    throughput = _hammer(lambda text: list(store.raw_query(text, use_default_graph_as_union=True)),
                         texts)
    registry.close()
    return times, throughput[0], rows


def _repeats(seconds: float) -> int:
    """Runs for a median: 5 of a query that takes seconds, 51 of one that takes milliseconds
    (whose median a single slow run on a shared machine would otherwise move)."""
    return 5 if seconds > 0.1 else 51


def _hammer(run, texts) -> tuple[float, int]:
    """CLIENTS threads, each running the queries round-robin; (requests per second, errors)."""
    errors = []

    def client(k: int) -> None:
        for i in range(REQUESTS_PER_CLIENT):
            try:
                run(texts[(k + i) % len(texts)][1])
            except Exception as exc:  # counted, and printed below
                errors.append(repr(exc))
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        print(f"  errors: {len(errors)}, first: {errors[0]}", flush=True)
    return CLIENTS * REQUESTS_PER_CLIENT / elapsed, len(errors)


class Endpoint:
    """One keep-alive HTTP connection per thread to the served /sparql."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def ask(self, text: str) -> int:
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
        return len(json.loads(body)["results"]["bindings"])


def serve(data_dir: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "TINYREG_DATA_DIR": data_dir, "TINYREG_THREADS": "8",
           "TINYREG_SPARQL_TIMEOUT_MS": "600000", "TINYREG_SPARQL_MAX_ROWS": "10000000"}
    process = subprocess.Popen([sys.executable, "-m", "tinyreg.web.cli", "serve", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, text=True)
    process.stderr.readline()  # "tinyreg on http://…": listening
    return process


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.path.join(tmp, "data")
        texts = queries(build(data_dir))
        store_times, store_rps, rows = on_store(data_dir, texts)
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = serve(data_dir, port)
        try:
            endpoint = Endpoint(port)
            for key, text in texts:
                served_rows = endpoint.ask(text)
                assert served_rows == rows[key], (key, served_rows, rows[key])
                ours = best_of(lambda: endpoint.ask(text), _repeats(store_times[key]))
                anchor = store_times[key]
                overhead = ours - anchor
                target = max(0.3 * anchor, 0.002)
                report(f"/sparql '{key}' ({rows[key]} rows)", ours, anchor, "same query on the store")
                print(f"   endpoint overhead {overhead * 1000:.1f} ms = "
                      f"{100 * overhead / anchor:.0f}% of the store's time; target "
                      f"< {target * 1000:.1f} ms: {'met' if overhead < target else 'NOT met'}",
                      flush=True)
            rps, errors = _hammer(endpoint.ask, texts)
            print(f"throughput, {CLIENTS} clients x {REQUESTS_PER_CLIENT} requests: "
                  f"{rps:.1f} req/s through /sparql, {errors} errors", flush=True)
            report("throughput (requests/s; higher is better)", rps, store_rps,
                   "the same 16 threads on the store", unit="req/s")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
