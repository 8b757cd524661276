"""Where a public query runs: what the endpoint and the dashboard's SPARQL page call.

On the embedded store (on disk) every query runs in a worker process of pool.py, which the
server kills when the time limit passes. A SPARQL server store (registry/store/remote.py)
evaluates queries in its own process, so there the query is forwarded, after the same text
checks, from a thread that waits at most the time limit; the server's own time limit
(`oxigraph serve --timeout-s`, Fuseki's `arq:queryTimeout`) must end what the endpoint
abandons, and its answer is read with the store's request timeout. An in-memory store (tests)
cannot be opened by another process and takes the thread path too.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from tinyreg.registry import Registry
from tinyreg.registry.errors import Invalid, TinyregError, Unavailable
from tinyreg.registry.sparql_functions import Calls, function_iris
from tinyreg.registry.store import EmbeddedStore
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
        settings = registry.settings
        store = registry.store
        self.workers = settings.sparql_workers
        if isinstance(store, EmbeddedStore) and store.path is not None:
            self._pool: WorkerPool | None = WorkerPool(
                store, size=self.workers, memory_mb=settings.sparql_memory_mb,
                isolate=not settings.sparql_allow_federation, prefixes=PREFIXES,
                functions=function_iris(), calls=lambda: Calls(registry))
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
        raise failure_error(*failure(error)) from None
