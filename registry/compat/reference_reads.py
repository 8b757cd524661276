"""What the fleet's reference queries read, so that a refresh can tell which writes could
change their rows without running them all again.

A reference query (classes, labels, runtimes, costs, calibrations) runs over the union of
all graphs, and the fleet runs every one of them again after a write, to start over when
any answer changed: 29 ms of the 84 ms a refresh took after one device add at 100,000
devices, although a device's graph states none of what they read. Each reference query is
declared here with what it reads:

- `predicates`: every triple with one of these predicates (rdfs:label, rdfs:subClassOf, ...);
- `about`: every triple about a node that a (predicate, object) pattern picks out anywhere in
  the store (object None: any), the picking triples included; a query that joins on such a
  node reads what else is said of it (a runtime cost's figure, by a property it is asked for).

A graph *feeds* the reference facts when it states such a triple. A write that changes only
graphs that fed nothing before it and feed nothing after it leaves every declared query's rows
as they were: each solution is made of triples that match its patterns, and none of those came
or went (nor did a picked node: the triple that picks one is about it). A fleet keeps the graphs that feed (one
query over the store when it is read whole, and again each time the full check runs); a
query asked that is not declared here turns the shortcut off.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..store import IRI, Store
from ..store.terms import OneOf

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Reads:
    predicates: tuple[str, ...] = ()
    about: tuple[tuple[str, str | None], ...] = ()


DECLARED: dict[str, Reads] = {}


def reference_query(text: str, predicates: tuple[str, ...] = (),
                    about: tuple[tuple[str, str | None], ...] = ()) -> str:
    """`text`, declared as a reference query that reads only what `predicates` and `about`
    say (see the module's docstring)."""
    DECLARED[text] = Reads(tuple(predicates), tuple(about))
    return text


_GRAPHS_WITH = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
# The picked nodes may be blank: they are joined on in one query, never bound from another.
_GRAPHS_ABOUT = "SELECT DISTINCT ?g WHERE { ?s ?pick ?v . GRAPH ?g { ?s ?q ?o } }"


def _reads(queries: frozenset[str]) -> tuple[set[str], set[tuple[str, str | None]]]:
    predicates, about = set(), set()
    for query in queries:
        predicates.update(DECLARED[query].predicates)
        about.update(DECLARED[query].about)
    return predicates, about


def feeding(store: Store, queries: frozenset[str], graphs: list[str] | None = None) -> frozenset[str]:
    """Of `graphs` (None: every graph), those that feed the declared `queries`: stating a
    triple with one of their predicates, or about a node their `about` patterns pick out."""
    if graphs is not None and not graphs:
        return frozenset()
    within = {} if graphs is None else {"g": OneOf(IRI(g) for g in graphs)}
    predicates, about = _reads(queries)
    found: set[str] = set()
    if predicates:
        rows = store.select(_GRAPHS_WITH, {"p": OneOf(IRI(p) for p in sorted(predicates)), **within})
        found.update(str(row["g"]) for row in rows)
    for pick, value in sorted(about, key=str):
        bound = {"pick": IRI(pick), **({} if value is None else {"v": IRI(value)}), **within}
        found.update(str(row["g"]) for row in store.select(_GRAPHS_ABOUT, bound))
    return frozenset(found)


@dataclass(frozen=True)
class Feeding:
    """The graphs that fed the declared `queries` at one revision of the store."""
    queries: frozenset[str]
    graphs: frozenset[str]

    @classmethod
    def read(cls, store: Store, queries: frozenset[str], revision: int) -> "Feeding | None":
        """The graphs feeding `queries` at `revision`; None when a query is not declared
        or the store moved on while they were looked for."""
        if not queries <= DECLARED.keys() or store.revision() != revision:
            return None
        found = cls(queries, feeding(store, queries))
        return found if store.revision() == revision else None

    def unchanged_by(self, store: Store, queries: frozenset[str], written: set[str]) -> bool:
        """Whether writing the graphs `written` (the store now after it) left every one of
        `queries` as it was: none of them fed these queries before or feeds them now. The
        picked nodes are then the same too (a triple that picks one is about it)."""
        return queries <= self.queries and not self.graphs & written \
            and not feeding(store, self.queries, sorted(written))
