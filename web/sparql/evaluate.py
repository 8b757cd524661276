"""One public query run, row-capped and serialised: the work of a query worker (worker.py),
and of the thread runner for stores that no worker can open (runner.py).

The query is asked of a store's own query function and its solutions (or triples) are
pulled one by one up to the row cap, then written in the format the request negotiated for
that kind of answer; the answer travels as bytes. Like results.py, this module imports
nothing of the registry, so that a worker starts in a tenth of a second.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import pyoxigraph as ox

from .results import Collected, format_named, serialize


@dataclass(frozen=True)
class Request:
    """What a worker needs to run one query: plain values, sent through a pipe."""
    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    # The negotiated format name for each kind ("results", "graph"); None: not acceptable.
    formats: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """A worker asking the server for one call of a registry SPARQL function (its answer,
    an Oxigraph term or None, comes back on the same connection)."""
    iri: str
    arguments: tuple[Any, ...]
    # Asks for the answers for the version (the one argument) and every device, by IRI.
    by_version: bool = False


@dataclass(frozen=True)
class Answer:
    kind: str               # "select" | "ask" | "graph"
    format: str | None      # the format's name; None when the client accepts none for it
    body: bytes
    rows: int
    truncated: bool


# Why a query failed, as (code, message); the code picks the error the endpoint answers.
INVALID, UNAVAILABLE, MEMORY, ENGINE = "invalid", "unavailable", "memory", "engine"
SYNTAX = "invalid SPARQL query: "  # how a parser's refusal begins


def evaluate(query: Callable[..., Any], request: Request, prefixes: dict[str, str],
             stop: threading.Event | None = None,
             functions: dict[Any, Callable[..., Any]] | None = None) -> Answer:
    """Run `request` with `query` (a store's query function taking pyoxigraph's dataset
    options) and serialise what it answered; `stop` ends the pulling early; `functions`
    are the extension functions the query may call (pyoxigraph's `custom_functions`)."""
    options = _dataset_options(request)
    if functions:
        options["custom_functions"] = functions
    result = query(request.text, **options)
    collected = _collect(result, request.max_rows, stop)
    name = request.formats.get("graph" if collected.kind == "graph" else "results")
    if name is None:
        return Answer(collected.kind, None, b"", collected.size, collected.truncated)
    fmt = format_named("graph" if collected.kind == "graph" else "results", name)
    return Answer(collected.kind, name, serialize(collected, fmt, prefixes), collected.size,
                  collected.truncated)


def failure(exc: BaseException) -> tuple[str, str]:
    """The code and message for an exception the engine raised while running a query."""
    if isinstance(exc, SyntaxError):
        return INVALID, f"{SYNTAX}{exc}"
    if isinstance(exc, MemoryError):
        return MEMORY, "the query needed more memory than a query may use"
    if isinstance(exc, OSError):  # the store, or a SERVICE call when federation is on
        return UNAVAILABLE, f"the query failed: {exc}"
    if isinstance(exc, Exception):  # e.g. an unbound SERVICE variable
        return INVALID, f"the query could not be evaluated: {exc}"
    # A Rust panic that pyo3 turned into an exception (it derives from BaseException).
    return ENGINE, f"the query engine failed on this query: {exc}"


def _dataset_options(request: Request) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if request.default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if request.named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    return options


def _collect(result: Any, max_rows: int, stop: threading.Event | None) -> Collected:
    if isinstance(result, ox.QueryBoolean):
        return Collected("ask", boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        out = Collected("select", variables=[v.value for v in result.variables])
        rows = out.rows

        def add(solution: Any) -> None:
            rows.append(list(solution))  # one term or None per variable, in order
    else:
        out = Collected("graph")
        add = out.triples.append
    for count, item in enumerate(result):
        if stop is not None and stop.is_set():
            break
        if count >= max_rows:
            out.truncated = True
            break
        add(item)
    return out
