"""Where a public query runs: what the endpoint and the dashboard's SPARQL page call (and
`tinyreg query`, through `query_apart`).

On the embedded store (on disk) every query runs in a worker process of pool.py, which the
server kills when the time limit passes. A SPARQL server store (registry/store/remote.py)
evaluates queries in its own process, so there the query is forwarded, after the same text
checks, from a thread that waits at most the time limit; the server's own time limit
(`oxigraph serve --timeout-s`, Fuseki's `arq:queryTimeout`) must end what the endpoint
abandons, and its answer is read with the store's request timeout. An in-memory store (tests)
cannot be opened by another process and takes the thread path too.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from tinyreg.registry import Registry, sparql_functions
from tinyreg.registry.errors import Invalid, TinyregError, Unavailable
from tinyreg.registry.sparql_functions import Calls, by_version_iris, function_iris
from tinyreg.registry.store import EmbeddedStore, QueryResult
from tinyreg.registry.vocab import PREFIXES

from .evaluate import Answer, Request, evaluate, failure
from .pool import WorkerPool, deadline_error, failure_error


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a request names (protocol parameters); empty means the union."""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def checked(self) -> "Dataset":
        for name in self.default_graphs + self.named_graphs:
            try:
                ox.NamedNode(name)
            except ValueError as exc:
                raise Invalid(f"not a valid graph IRI: {exc}") from None
        return self


class QueryRunner:
    def __init__(self, registry: Registry):
        store = registry.store
        self.workers = registry.settings.sparql_workers
        if _in_workers(store):
            self._pool: WorkerPool | None = worker_pool(registry, self.workers)
            self._threads: ThreadRunner | None = None
        else:
            self._pool = None
            self._threads = ThreadRunner(registry, self.workers)

    def run(self, text: str, dataset: Dataset, *, formats: dict[str, str | None],
            timeout_ms: int, max_rows: int) -> Answer:
        dataset = dataset.checked()
        request = Request(text, dataset.default_graphs, dataset.named_graphs, max_rows, formats)
        if self._pool is not None:
            return self._pool.run(request, timeout_ms=timeout_ms)
        return self._threads.run(request, timeout_ms=timeout_ms)

    def warm(self) -> None:
        if self._pool is not None:
            self._pool.warm()

    @property
    def pool(self) -> WorkerPool | None:
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


# A person's query on the command line runs as long as it takes; a deadline must be finite
# (and fit a poll's milliseconds), so a day stands for that.
_PERSON_WAIT_MS = 86_400_000


def query_apart(registry: Registry, text: str) -> QueryResult:
    """`tinyreg query`: the text checked as the endpoint checks it and, on the embedded
    store, run in a worker process as the endpoint runs it, so that a panic, a stack overflow
    or the memory cap (`sparql_memory_mb`) is an error and not the end of the command. No
    row cap and no time limit: the person asking owns the process. Other stores answer in
    their own process already."""
    if not _in_workers(registry.store):
        return sparql_functions.query(registry, text)
    registry.check_query(text)
    pool = worker_pool(registry, 1)
    try:
        answer = pool.run(Request(text, max_rows=sys.maxsize,
                                  formats={"results": "json", "graph": "ntriples"}),
                          timeout_ms=_PERSON_WAIT_MS)
    finally:
        pool.close()
    if answer.kind == "graph":
        return QueryResult.from_oxigraph(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
    return QueryResult.from_oxigraph(
        ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON))


def _in_workers(store: Any) -> bool:
    """Whether queries on `store` run in worker processes (an embedded store on disk)."""
    return isinstance(store, EmbeddedStore) and store.path is not None


def worker_pool(registry: Registry, size: int) -> WorkerPool:
    """Workers over the registry's embedded store, with its settings and its SPARQL functions
    (answered in this process)."""
    settings = registry.settings
    return WorkerPool(registry.store, size=size, memory_mb=settings.sparql_memory_mb,
                      isolate=not settings.sparql_allow_federation, prefixes=PREFIXES,
                      functions=function_iris(), calls=lambda: Calls(registry),
                      by_version=by_version_iris())


class ThreadRunner:
    """Queries on threads of this process, at most `workers` at once, each waited for at most
    the time limit. Daemon threads: an abandoned one never holds up the server's exit."""

    def __init__(self, registry: Registry, workers: int):
        self.registry = registry
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers)

    def run(self, request: Request, *, timeout_ms: int) -> Answer:
        # A query calling the registry's functions runs where they can be called (on an
        # external store: a local copy of its graphs), the others on the store itself.
        store, options = self.registry.store_for(
            request.text, Calls(self.registry).custom_functions())
        query = getattr(store, "raw_query", None)
        if query is None:
            raise Unavailable("this store cannot stream results to the public endpoint")
        functions = options["functions"] if options else None
        if not self._slots.acquire(timeout=timeout_ms / 1000):
            raise Unavailable(f"all {self.workers} query threads were busy for the query's "
                              f"whole time limit; try again shortly")
        stop, done = threading.Event(), threading.Event()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = evaluate(query, request, PREFIXES, stop, functions)
            except BaseException as exc:  # noqa: BLE001 (handed to the request below)
                outcome["error"] = exc
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=work, name="sparql", daemon=True).start()
        if not done.wait(timeout_ms / 1000):
            stop.set()
            raise deadline_error(timeout_ms)
        if "answer" in outcome:
            return outcome["answer"]
        error = outcome["error"]
        if isinstance(error, TinyregError):  # the remote store's own errors
            raise error
        if isinstance(error, SyntaxError) and hasattr(store, "broken_answer"):
            raise store.broken_answer(error)  # the server refused bad text before
        raise failure_error(*failure(error), text=request.text) from None
