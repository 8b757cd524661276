"""Runs one public query under a time limit and a row cap.

pyoxigraph has no query timeout and cannot be interrupted, but it evaluates lazily and
releases the GIL while it works. So each query runs on a worker thread that pulls solutions
one by one: the request waits at most `timeout_ms`, then answers 503 and tells the worker to
stop pulling; the cap stops pulling at `max_rows`. What stays unbounded is a single step of
the engine (a big ORDER BY or GROUP BY materialises before its first row): an abandoned
query keeps its thread until that step ends. The number of workers is fixed, so abandoned
queries can hold at most that many cores, and a request that finds every worker busy is
refused at once rather than queued behind them.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from tinyreg.registry.errors import Invalid, Unavailable
from tinyreg.registry.store import Store

from .results import Collected


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a request names (protocol parameters); empty means the union."""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def query_options(self) -> dict[str, Any]:
        try:
            options: dict[str, Any] = {}
            if self.default_graphs:
                options["default_graph"] = [ox.NamedNode(g) for g in self.default_graphs]
            else:
                options["use_default_graph_as_union"] = True
            if self.named_graphs:
                options["named_graphs"] = [ox.NamedNode(g) for g in self.named_graphs]
            return options
        except ValueError as exc:
            raise Invalid(f"not a valid graph IRI: {exc}") from exc


class QueryRunner:
    """A fixed pool of query workers shared by every request of one app."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparql")
        self._slots = threading.BoundedSemaphore(workers)

    def run(self, store: Store, sparql: str, dataset: Dataset, *, timeout_ms: int,
            max_rows: int) -> Collected:
        if not self._slots.acquire(blocking=False):
            raise Unavailable(f"all {self.workers} query workers are busy; try again shortly")
        stop = threading.Event()
        try:
            future = self._pool.submit(self._evaluate, store, sparql, dataset, max_rows, stop)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        try:
            return future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            stop.set()
            raise Unavailable(f"the query ran longer than the endpoint's limit of {timeout_ms} ms "
                              f"(setting sparql_timeout_ms); narrow it or add a LIMIT",
                              limit_ms=timeout_ms) from None

    @staticmethod
    def _evaluate(store: Store, sparql: str, dataset: Dataset, max_rows: int,
                  stop: threading.Event) -> Collected:
        raw = getattr(store, "raw_query", None)
        if raw is None:
            raise Unavailable("this store cannot stream results to the public endpoint")
        try:
            result = raw(sparql, **dataset.query_options())
        except SyntaxError as exc:
            raise Invalid(f"invalid SPARQL query: {exc}") from exc
        except OSError as exc:  # e.g. a SERVICE call that failed, when federation is allowed
            raise Unavailable(f"the query failed: {exc}") from exc
        if isinstance(result, ox.QueryBoolean):
            return Collected("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            out = Collected("select", variables=names)
            rows = out.rows
            for solution in result:
                if stop.is_set():
                    break
                if len(rows) >= max_rows:
                    out.truncated = True
                    break
                rows.append(list(solution))  # in the order of `names`, None where unbound
            return out
        out = Collected("graph")
        for triple in result:
            if stop.is_set():
                break
            if len(out.triples) >= max_rows:
                out.truncated = True
                break
            out.triples.append(triple)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
