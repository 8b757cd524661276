"""A local copy of an external store's graphs, for the queries only the registry can answer.

A query that calls the registry's SPARQL functions (registry/sparql_functions.py) cannot
run on a SPARQL server: the server does not know them and cannot call back. The registry
runs such a query on an in-memory Oxigraph copy of the server's registry graphs instead.
The copy follows the server's change log like every cache: after a write it re-reads the
graphs that write named, and only after the log lost track does it read everything again.
"""
from __future__ import annotations

import threading
from typing import Any

import pyoxigraph as ox

from ..vocab import REGISTRY_ROOT
from .changelog import ChangeMark
from .embedded import EmbeddedStore
from .terms import IRI, OneOf

_CACHE_KEY = "store.mirror"
_ALL = ("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), ?root)) }")
_NAMED = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


class Mirror:
    def __init__(self, source: Any):
        self.source = source
        self.local = EmbeddedStore(None)
        self.mark: ChangeMark | None = None
        self._lock = threading.Lock()

    def current(self) -> EmbeddedStore:
        """The copy, brought up to the source's present state."""
        with self._lock:
            changes = None if self.mark is None else self.source.changes_since(self.mark)
            if changes is None or changes.everything:
                mark = self.source.change_mark()
                self.local.oxigraph.clear()
                self._copy(_ALL, {"root": REGISTRY_ROOT})
            else:
                mark = changes.mark
                names = set(changes.graphs)
                for prefix in changes.under:
                    names |= {g for g in self._local_names() if g.startswith(prefix)}
                    names |= set(self.source.graph_names(under=prefix))
                for name in names:
                    self.local.oxigraph.clear_graph(ox.NamedNode(name))
                if names:
                    self._copy(_NAMED, {"g": OneOf(IRI(n) for n in sorted(names))})
            self.mark = mark
        return self.local

    def _local_names(self) -> list[str]:
        return [g.value for g in self.local.oxigraph.named_graphs() if isinstance(g, ox.NamedNode)]

    def _copy(self, query: str, bindings: dict) -> None:
        table = self.source.table(query, bindings)
        # TSV cells are terms as TriG writes them (numbers and booleans in short form too).
        lines = [f"{g} {{ {s} {p} {o} }}" for g, s, p, o in zip(*(table.cells[v] for v in "gspo"))]
        if lines:
            self.local.oxigraph.bulk_extend(ox.parse("\n".join(lines), format=ox.RdfFormat.TRIG))


def mirror(registry: Any) -> EmbeddedStore:
    """The registry's copy of its external store, current."""
    found = registry.cache.get(_CACHE_KEY)
    if found is None or found.source is not registry.store:
        found = registry.cache[_CACHE_KEY] = Mirror(registry.store)
    return found.current()
