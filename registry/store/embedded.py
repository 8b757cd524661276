"""The embedded store: Oxigraph (RocksDB on disk) in this process.

Oxigraph runs each SPARQL Update in one transaction, so a transaction of graph writes is
sent as a single update request: a reader sees all of it or none of it, and a crash in the
middle leaves the previous graphs whole.

The one write that is not a transaction is `load_new_graphs`, Oxigraph's bulk loader for
an importer's new graphs: their names are recorded before the load and cleared after it,
and opening a store drops the graphs of a load that never finished.

A write the disk refuses (full, or failing) is `Unavailable`, saying so; the bulk loader's
files of a load that failed are removed, so a full disk is left no fuller.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pyoxigraph as ox
import rdflib

from ..errors import Invalid, Unavailable
from ..querytext import syntax_problem
from .base import (REVISION_PREDICATE, REVISION_SUBJECT, GraphLike, QueryResult, Store,
                   Transaction, check_graph_name, revision_update_text, to_ntriples,
                   transaction_update_text)
from .loading import LOADED, LOADING, PIPE, RECORDS, NewGraphs
from .table import Table
from .terms import IRI, inline_bindings, to_rdflib
from ..vocab import META_GRAPH

log = logging.getLogger(__name__)



_GRAPH_COUNT = ("SELECT (COUNT(?g) AS ?n) WHERE { GRAPH ?g { } "
                "FILTER(?g != ?meta && STRSTARTS(STR(?g), ?under)) }")

_SMALL_BYTES = 32 << 20
_BULK_FILES = "bulk-*.sst"  # what Oxigraph's bulk loader writes before RocksDB takes it in


def _disk_full(exc: OSError) -> bool:
    # RocksDB's errors come without an errno, its message naming the reason
    return exc.errno == errno.ENOSPC or "No space left" in str(exc)


class EmbeddedStore(Store):
    # One process holds the database at a time (RocksDB's lock): what another left behind
    # (a version-number claim) belongs to a process that is gone.
    shared_by_processes = False
    runs_functions = True

    def __init__(self, path: str | Path | None):
        """Open (or create) the store in directory `path`; `None` keeps it in memory."""
        self.path = Path(path) if path is not None else None
        # Oxigraph runs concurrent updates side by side; two threads bumping the revision
        # at once would both write the same number, and a cache could keep stale contents
        # under it. Writes of this process take turns (reads do not wait).
        self._writing = threading.Lock()
        try:
            if self.path is None:
                self._ox = ox.Store()
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._ox = ox.Store(str(self.path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise Unavailable(
                    f"the store at {self.path} is in use by another process "
                    f"(is `tinyreg serve` running? use its API, or stop it first)") from exc
            if _disk_full(exc):
                raise Unavailable(f"the disk of the store ({self.path}) is full: the store "
                                  "cannot be opened; free some space and try again") from exc
            raise Unavailable(f"cannot open the store at {self.path}: {exc}") from exc
        self._remove_bulk_files(set())  # a load that was killed left them
        if self.path is not None:  # and its pipe
            for pipe in self.path.glob(PIPE + "*"):
                pipe.unlink()
        self._drop_interrupted_loads()

    # ---- reading
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None, *,
              default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None,
              functions: Mapping[Any, Any] | None = None) -> QueryResult:
        """As Store.query; `functions` are extension functions the query may call, in
        Oxigraph's `custom_functions` form (registry/sparql_functions.py)."""
        kwargs: dict[str, Any] = {}
        if functions:
            kwargs["custom_functions"] = functions
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(check_graph_name(g)) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(check_graph_name(g)) for g in named_graphs]
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        try:
            return QueryResult.from_oxigraph(self._ox.query(sparql, **kwargs))
        except SyntaxError as exc:
            raise Invalid(syntax_problem(sparql, str(exc))) from exc
        except OSError as exc:  # a SERVICE call that failed (federation on), or the disk
            raise Unavailable(f"the query failed: {exc}") from exc
        except RuntimeError as exc:  # e.g. a SERVICE endpoint's unreadable answer
            raise Invalid(f"the query could not be evaluated: {exc}") from exc

    @property
    def oxigraph(self) -> ox.Store:
        """The database itself, for a copy that fills it without counting writes (mirror.py)."""
        return self._ox

    def raw_query(self, sparql: str, **kwargs: Any) -> Any:
        """The backend's own result object, for serialising straight to a response."""
        return self._ox.query(sparql, **kwargs)

    def table(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> Table:
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        try:
            solutions = self._ox.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise Invalid(f"invalid SPARQL query: {exc}") from exc
        if not isinstance(solutions, ox.QuerySolutions):
            raise Invalid("a table is the answer to a SELECT query")
        return Table.from_solutions(solutions)

    def get_graph(self, name: str) -> rdflib.Graph:
        graph = rdflib.Graph()
        for q in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(check_graph_name(name))):
            graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return graph

    def graph_names(self, under: str = "") -> list[str]:
        return sorted(g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode)
                      and g.value != META_GRAPH and g.value.startswith(under))

    def location(self) -> str | None:
        return str(self.path.resolve()) if self.path is not None else None

    def graph_count(self, under: str = "") -> int:
        # Counted by the store: iterating 100,000 names in Python took 2-3 s under load
        # (a tenth of that counted in the query).
        row = self.select(_GRAPH_COUNT, {"under": under, "meta": IRI(META_GRAPH)})[0]
        return int(row["n"])

    def has_graph(self, name: str) -> bool:
        return self._ox.contains_named_graph(ox.NamedNode(check_graph_name(name)))

    def revision(self) -> int:
        for q in self._ox.quads_for_pattern(ox.NamedNode(REVISION_SUBJECT),
                                            ox.NamedNode(REVISION_PREDICATE), None,
                                            ox.NamedNode(META_GRAPH)):
            return int(q.object.value)
        return 0

    def triple_count(self) -> int:
        return len(self._ox)

    # ---- writing
    def update(self, sparql: str) -> None:
        try:
            with self._writing, self._disk():
                self._ox.update(sparql)
        except SyntaxError as exc:
            raise Invalid(f"invalid SPARQL update: {exc}") from exc

    def update_graphs(self, sparql: str, graphs: Iterable[str], under: Iterable[str] = ()) -> None:
        names = [check_graph_name(name) for name in graphs]
        self.update(sparql.rstrip().rstrip(";") + " ;\n"
                    + revision_update_text(graphs=names, under=list(under)))

    def apply(self, txn: Transaction) -> None:
        text = transaction_update_text(txn)
        try:
            with self._writing, self._disk():
                self._ox.update(text)
        except SyntaxError as exc:
            # Our own serialisation should always parse; if not, nothing was written.
            raise Invalid(f"could not write the graphs: {exc}") from exc

    def bulk_load(self, graphs: Iterable[tuple[str, GraphLike]], batch: int = 2000) -> int:
        """Many graphs fast: new graphs go in as parsed quads, one transaction a batch.

        A graph that already exists takes the atomic replacement path instead, so bulk
        loading never leaves a half-replaced graph either.
        """
        count = 0
        pending: list[tuple[str, GraphLike]] = []
        for item in graphs:
            pending.append(item)
            if len(pending) >= batch:
                count += self._load_batch(pending)
                pending = []
        if pending:
            count += self._load_batch(pending)
        return count

    def _load_batch(self, items: list[tuple[str, GraphLike]]) -> int:
        fresh: dict[str, GraphLike] = {}
        existing: dict[str, GraphLike] = {}
        for name, graph in items:
            (existing if self.has_graph(name) else fresh)[check_graph_name(name)] = graph
        quads = []
        for name, graph in fresh.items():
            target = ox.NamedNode(name)
            try:  # parsing here is also the validation of importer text
                for q in ox.parse(to_ntriples(self.entailed(name, graph), validate=False),
                                  format=ox.RdfFormat.N_TRIPLES,
                                  rename_blank_nodes=True):
                    quads.append(ox.Quad(q.subject, q.predicate, q.object, target))
            except SyntaxError as exc:
                raise Invalid(f"graph {name}: not valid N-Triples: {exc}") from exc
        if quads:
            with self._writing, self._disk():
                self._ox.extend(quads)
                self._ox.update(revision_update_text(graphs=list(fresh)))
        if existing:
            self.put_graphs(existing)
        return len(items)

    def load_new_graphs(self, graphs: Sequence[tuple[str, str]]) -> None:
        """Write graphs that do not exist yet through Oxigraph's bulk loader, in one load
        (loading.py): for an importer's own N-Triples text, in which no blank node label
        appears in two graphs. The loader is several times faster than a transaction and
        is not one; a load that fails leaves none of its graphs, and one that is
        interrupted is undone when the store is next opened. A name that exists, or comes
        twice, is refused: replacing a graph is `put_graphs`' job."""
        with self.new_graphs() as load:
            load.add(graphs)

    def new_graphs(self) -> NewGraphs:
        """A bulk load fed graph by graph (loading.py): `add`, then `finish` or `abort`;
        as a context, finished when the block ends, undone when it raises."""
        return NewGraphs(self)

    def flush(self) -> None:
        """Write to disk what transactions keep in memory. RocksDB holds a write buffer per
        index and, over thousands of transactions, grows by ~40 KB per graph written; a
        long series of writes (an import replacing a fleet) calls this between batches."""
        with self._writing, self._disk():
            self._ox.flush()

    @contextlib.contextmanager
    def _disk(self):
        """A write to disk: one the disk refuses is `Unavailable`, naming the reason."""
        try:
            yield
        except OSError as exc:
            if _disk_full(exc):
                # RocksDB refuses every later write until the store is opened again.
                raise Unavailable(f"the disk of the store ({self.path}) is full: this write was "
                                  "not stored (what was stored before stays); free some space "
                                  "and try again (restart a running `tinyreg serve`)") from exc
            raise Unavailable(f"the store could not write to disk: {exc}") from exc

    def _small(self) -> bool:
        """Whether the store's files on disk are few enough to compact in passing."""
        if self.path is None:
            return False
        total = 0
        for path in self.path.glob("*.sst"):
            try:
                total += path.stat().st_size
            except FileNotFoundError:  # RocksDB removed it since (a compaction)
                pass
        return total < _SMALL_BYTES

    def _bulk_files(self) -> set:
        return set(self.path.glob(_BULK_FILES)) if self.path is not None else set()

    def _remove_bulk_files(self, keep: set) -> None:
        for path in self._bulk_files() - keep:
            path.unlink(missing_ok=True)

    def _drop_interrupted_loads(self) -> None:
        names = [name for q in self._ox.quads_for_pattern(None, ox.NamedNode(LOADING), None,
                                                          ox.NamedNode(META_GRAPH))
                 for name in q.object.value.split("\n")]
        records = sorted(self.path.glob(RECORDS + "*")) if self.path is not None else []
        for path in records:
            marker = ox.NamedNode("urn:tinyreg:bulk-load:" + path.name[len(RECORDS):])
            if not any(self._ox.quads_for_pattern(marker, ox.NamedNode(LOADED), None)):
                names += [name for name in path.read_text(encoding="utf-8").split("\n") if name]
        if names:
            log.warning("a bulk load into %s did not finish; dropping its %d graphs",
                        self.path, len(names))
            with self._writing:
                self._drop_load([check_graph_name(name) for name in names])
        for path in records:
            path.unlink()
        if any(self._ox.quads_for_pattern(None, ox.NamedNode(LOADED), None)):
            self._ox.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ ?m <{LOADED}> ?o }} }}")

    def _drop_load(self, names: list[str]) -> None:
        """Drop a bulk load's graphs (names were checked) and its records, a transaction at a
        time; the caller holds the write lock."""
        for start in range(0, len(names), 1000):
            self._ox.update(" ;\n".join(f"DROP SILENT GRAPH <{n}>" for n in names[start:start + 1000]))
        self._ox.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ ?m <{LOADING}> ?o }} }} ;\n"
                        + revision_update_text(graphs=names))

    def close(self) -> None:
        if getattr(self, "_ox", None) is None:
            return
        if self.path is not None:  # an in-memory store has nothing to flush
            try:
                self._ox.flush()
            except OSError as exc:  # a full disk: what was written is in RocksDB's log
                log.info("could not flush the store at %s (%s); its log is replayed when "
                            "it is next opened", self.path, exc)
        self._ox = None
