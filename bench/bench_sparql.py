"""What the public endpoint's execution path costs: a query in a worker process over the
store opened read-only (web/sparql/pool.py) beside the in-process path it replaced (a thread
of the server pulling from the read-write store, runner.ThreadRunner), on the same registry
in the same run. Both produce the same bytes (checked); they are timed in turns.

Printed: per query, the medians and the overhead (median of paired differences); the first
query after a write (the worker opens the store again); how long a cheap query waits after
a worker was killed at its deadline (a new worker starts); and the text check of
registry/querytext.py on a 1 MB query and on the 62 KB body of issue 12 (`# SERVICE`
lines and a run of `a.`, 20 s in the old keyword scan) beside the engine parsing the same text.
TINYREG_BENCH_SPARQL_DEVICES sets the fleet's size (default 10,000).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

import pyoxigraph as ox

from bench_web import build, paired, queries
from common import best_of, report
from tinyreg.registry import Registry, Unavailable, load_settings, querytext
from tinyreg.web.sparql.evaluate import Request
from tinyreg.web.sparql.pool import WorkerPool
from tinyreg.web.sparql.runner import ThreadRunner, worker_pool

DEVICES = int(os.environ.get("TINYREG_BENCH_SPARQL_DEVICES", "10000"))
REPEAT = 51
CHEAP = ("ask", "ASK { ?s a <https://w3id.org/tinyreg/ontology#MicrocontrollerBoard> }")
HEAVY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def request(text: str) -> Request:
    return Request(text, max_rows=100_000, formats={"results": "json", "graph": "turtle"})


def per_query(pool: WorkerPool, threads: ThreadRunner, texts) -> None:
    for key, text in texts:
        def ours():
            return pool.run(request(text), timeout_ms=600_000)

        def anchor():
            return threads.run(request(text), timeout_ms=600_000)
        assert ours().body == anchor().body, key
        start = time.perf_counter()
        anchor()
        repeat = 5 if time.perf_counter() - start > 0.1 else REPEAT
        anchor_times, our_times = paired(anchor, ours, repeat)
        rows = ours().rows
        report(f"query '{key}' ({rows} rows, median of {repeat})", statistics.median(our_times),
               statistics.median(anchor_times), "in-process thread on the read-write store")
        overhead = statistics.median(o - a for o, a in zip(our_times, anchor_times))
        print(f"   worker overhead (median of paired differences): {overhead * 1000:.2f} ms",
              flush=True)


def after_a_write(registry: Registry, pool: WorkerPool) -> None:
    """A query right after a write (the worker opens the store at the new revision) beside the
    same query with nothing written."""
    text = request(CHEAP[1])
    fresh, steady = [], []
    for i in range(15):
        registry.store.put_graph(f"urn:bench:write:{i}", f"<urn:bench:s{i}> <urn:bench:p> <urn:bench:o> .\n")
        for out in (fresh, steady):
            start = time.perf_counter()
            pool.run(text, timeout_ms=600_000)
            out.append(time.perf_counter() - start)
    report("first query after a write (median of 15)", statistics.median(fresh),
           statistics.median(steady), "the same query again, nothing written")


def after_a_kill(pool: WorkerPool) -> None:
    """How long a cheap query takes once the only worker was killed at its deadline."""
    waits, steady = [], []
    for _ in range(7):
        try:
            pool.run(request(HEAVY), timeout_ms=200)
        except Unavailable:
            pass
        for out in (waits, steady):
            start = time.perf_counter()
            pool.run(request(CHEAP[1]), timeout_ms=600_000)
            out.append(time.perf_counter() - start)
    report("cheap query after a kill at the deadline (a new worker starts; median of 7)",
           statistics.median(waits), statistics.median(steady), "the same query on a warm worker")


def text_check() -> None:
    rows = " ".join(f'?s <http://example.org/p{i}> "v{i}" .' for i in range(30_000))
    big = ("SELECT * WHERE { " + rows)[:999_998] + " }"
    issue_body = "# SERVICE\n" * 3000 + "a." * 16_000
    store = ox.Store()
    for name, text in (("1 MB query", big), ("issue 12's 62 KB body", issue_body)):
        def ours():
            try:
                querytext.check(text, allow_federation=False)
            except Exception:  # refused or not: the time to decide is what counts
                pass

        def parse():
            try:
                store.query(text)
            except SyntaxError:
                pass
        report(f"text check, {name} ({len(text):,} characters; median of 11)",
               best_of(ours, 11), best_of(parse, 11), "the engine parsing it")


def main() -> None:
    text_check()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.path.join(tmp, "data")
        texts = [CHEAP] + queries(build(data_dir, DEVICES))
        registry = Registry(load_settings(environ={}, data_dir=data_dir))
        # Both paths as the server builds them: the example queries call the registry's
        # SPARQL functions, which the worker sends back to this process.
        pool = worker_pool(registry, 1)
        threads = ThreadRunner(registry, 1)
        try:
            pool.warm()
            per_query(pool, threads, texts)
            after_a_write(registry, pool)
            after_a_kill(pool)
        finally:
            pool.close()
            registry.close()


if __name__ == "__main__":
    main()
