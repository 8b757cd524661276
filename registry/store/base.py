"""The narrow store interface every backend implements.

Everything the registry keeps is in named graphs (one per model version, per device, per
deployment); the default graph a query sees is their union. The interface is small on
purpose so that a remote SPARQL 1.1 server can stand behind it as well as the embedded
database: query, update, whole-graph put/delete, bulk load, a transaction that groups
graph writes, a revision counter that caches compare, and a change log (changelog.py) that
tells a cache which graphs were written since it was built.
"""
from __future__ import annotations

import abc
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Union

import pyoxigraph as ox
import rdflib

from ..entailment import entailed
from ..errors import Invalid
from ..vocab import TR
from .changelog import ChangeMark, Changes, change_mark, changes_since, counted_write_text
from .table import Table
from .terms import to_python, to_rdflib

# A graph to write: an rdflib Graph, or N-Triples text (the fast path for bulk importers).
GraphLike = Union[rdflib.Graph, str]

REVISION_SUBJECT = "urn:tinyreg:store"
REVISION_PREDICATE = str(TR.revision)


@dataclass
class QueryResult:
    """What a query answered: rows for SELECT, a boolean for ASK, a graph otherwise."""
    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    graph: rdflib.Graph | None = None

    @classmethod
    def from_oxigraph(cls, result: Any) -> "QueryResult":
        """Collect a pyoxigraph answer (the embedded store's, or one parsed from a server)."""
        if isinstance(result, ox.QueryBoolean):
            return cls("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = [{n: to_python(sol[n]) for n in names} for sol in result]
            return cls("select", variables=names, rows=rows)
        graph = rdflib.Graph()
        for t in result:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return cls("graph", graph=graph)


def to_ntriples(graph: GraphLike, validate: bool = True) -> str:
    if isinstance(graph, str):
        if not validate:
            return graph
        # Text from an importer is parsed before it goes anywhere near an update: a
        # malformed line (an unterminated literal) could otherwise swallow what follows it.
        try:
            for _ in ox.parse(graph, format=ox.RdfFormat.N_TRIPLES):
                pass
        except SyntaxError as exc:
            raise Invalid(f"not valid N-Triples: {exc}") from exc
        return graph
    if isinstance(graph, rdflib.Graph):
        return graph.serialize(format="nt")
    raise TypeError(f"cannot write a {type(graph).__name__} as a graph")


# What would end an IRI in query or N-Triples text early.
_BREAKS_OUT = re.compile(r'[<>"{}|\\^` \n\t]')


def check_graph_name(name: str) -> str:
    """Graph names are absolute IRIs we minted or validated; anything else is refused."""
    if not isinstance(name, str) or not name or _BREAKS_OUT.search(name):
        raise Invalid(f"not a usable graph name: {name!r}")
    if ":" not in name:
        raise Invalid(f"graph name is not an absolute IRI: {name!r}")
    try:
        ox.NamedNode(name)  # the rest of the IRI grammar (code points, hosts, %-escapes)
    except ValueError as exc:
        raise Invalid(f"not a usable graph name: {name!r} ({exc})") from None
    return name


class Transaction:
    """Collects graph writes and applies them all at once when the block ends without error."""

    def __init__(self, entailed: Callable[[str, GraphLike], GraphLike] | None = None) -> None:
        self.puts: dict[str, GraphLike] = {}
        self.deletes: set[str] = set()
        self._entailed = entailed

    def put_graph(self, name: str, graph: GraphLike) -> None:
        check_graph_name(name)
        self.deletes.discard(name)
        self.puts[name] = self._entailed(name, graph) if self._entailed else graph

    def delete_graph(self, name: str) -> None:
        check_graph_name(name)
        self.puts.pop(name, None)
        self.deletes.add(name)


class Store(abc.ABC):
    """A quad store holding the registry's named graphs."""

    # Several processes, on several hosts, may write at once (a server store).
    shared_by_processes = True
    # Whether `query` takes `functions=` (the registry's SPARQL functions) and runs them.
    runs_functions = False
    # The RDFS closure written with every graph (registry/entailment.py), set by the Registry.
    entailment: Any = None

    def entailed(self, name: str, graph: GraphLike) -> GraphLike:
        """The graph as it is written: an entity's with its entailments when the store has a
        closure (the ontology's own graph stays as it ships)."""
        return entailed(self.entailment, name, graph)

    # ---- reading
    @abc.abstractmethod
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None, *,
              default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None) -> QueryResult:
        """Run a SPARQL query; `bindings` map variable names to values bound as RDF terms."""

    def select(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.query(sparql, bindings).rows

    def ask(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> bool:
        return bool(self.query(sparql, bindings).boolean)

    @abc.abstractmethod
    def table(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> Table:
        """A SELECT answer as columns of terms (table.py): for readers of many rows."""

    @abc.abstractmethod
    def get_graph(self, name: str) -> rdflib.Graph:
        """The triples of one named graph (empty if there is none)."""

    @abc.abstractmethod
    def graph_names(self, under: str = "") -> list[str]:
        """The names of the named graphs (those starting with `under`), not the store's own
        bookkeeping nor a server's system graphs."""

    def location(self) -> str | None:
        """Where the store lives (a directory, a server's URL), to tie what is derived from
        it to it; None for a store that lives in this process alone."""
        return None

    def graph_count(self, under: str = "") -> int:
        """How many names `graph_names(under)` would list."""
        return len(self.graph_names(under))

    @abc.abstractmethod
    def has_graph(self, name: str) -> bool:
        ...

    @abc.abstractmethod
    def revision(self) -> int:
        """Increases with every write; equal revisions mean equal contents."""

    def change_mark(self) -> ChangeMark:
        """Where the writes stand, for `changes_since` to count from."""
        return change_mark(self)

    def changes_since(self, mark: ChangeMark) -> Changes | None:
        """The graphs written since `mark`, or None when the change log does not reach back."""
        return changes_since(self, mark)

    # ---- writing
    @abc.abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (the registry's own, never user text unless enabled)."""

    @abc.abstractmethod
    def update_graphs(self, sparql: str, graphs: Iterable[str], under: Iterable[str] = ()) -> None:
        """Run an update of the registry's own that changes only `graphs` and graphs whose
        names start with one of `under`, counted as one write: the revision moves and the
        change log names them, in the same request."""

    @abc.abstractmethod
    def apply(self, txn: Transaction) -> None:
        """Apply a transaction's graph writes atomically and bump the revision once."""

    def put_graph(self, name: str, graph: GraphLike) -> None:
        """Replace one named graph atomically: readers see the old graph or the new, never half."""
        self.put_graphs({name: graph})

    def put_graphs(self, graphs: Mapping[str, GraphLike]) -> None:
        with self.transaction() as txn:
            for name, graph in graphs.items():
                txn.put_graph(name, graph)

    def delete_graph(self, name: str) -> None:
        with self.transaction() as txn:
            txn.delete_graph(name)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        txn = Transaction(self.entailed)
        yield txn
        if txn.puts or txn.deletes:
            self.apply(txn)

    def bulk_load(self, graphs: Iterable[tuple[str, GraphLike]], batch: int = 2000) -> int:
        """Load many graphs in batches (each batch atomic); returns how many were written."""
        count = 0
        pending: dict[str, GraphLike] = {}
        for name, graph in graphs:
            pending[check_graph_name(name)] = graph
            if len(pending) >= batch:
                self.put_graphs(pending)
                count += len(pending)
                pending = {}
        if pending:
            self.put_graphs(pending)
            count += len(pending)
        return count

    # ---- lifecycle
    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def revision_update_text(subject: str = REVISION_SUBJECT, graphs: Iterable[str] | None = None,
                         under: Iterable[str] = (), count: int | None = None,
                         trim: bool = True) -> str:
    """SPARQL Update operations that add one to the store's revision counter (or to the
    counter of one writer, `subject`, where the store sums several) and log the write as
    changing `graphs` and the graphs under `under`; without `graphs`, as changing any.
    `count` and `trim`: see changelog.counted_write_text."""
    return counted_write_text(subject, graphs, under, count, trim)


def transaction_update_text(txn: Transaction) -> str:
    """One SPARQL Update request that performs the whole transaction.

    Graph names were validated by `check_graph_name` and the triples were serialised by an
    RDF library as N-Triples, so no free text reaches the update.
    """
    ops = []
    for name in sorted(txn.deletes):
        ops.append(f"DROP SILENT GRAPH <{name}>")
    for name, graph in txn.puts.items():
        ops.append(f"DROP SILENT GRAPH <{name}>")
        body = to_ntriples(graph)
        if body.strip():
            ops.append(f"INSERT DATA {{ GRAPH <{name}> {{\n{body}\n}} }}")
    ops.append(revision_update_text(graphs=[*txn.deletes, *txn.puts]))
    return " ;\n".join(ops)
