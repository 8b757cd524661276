"""What the registry needs from a store, as checks that run against any configured one.

`tinyreg store check` runs them so that an operator can qualify a server the test suite
never met (Fuseki, GraphDB, Neptune): each check writes to scratch graphs of its own under
`urn:tinyreg:check:<token>:`, reads back, and drops them. A check passes, or fails with
what it saw; the registry relies on every one of them except those marked `needed=False`
(a server difference the registry works around, reported so the operator knows of it).

LITERALS lists every kind of literal the registry writes; the test suite checks that each
reads back equal on every store it runs (tests/core/test_values.py).
"""
from __future__ import annotations

import decimal
import uuid
from dataclasses import dataclass
from typing import Callable

import rdflib
import rdflib.compare

from ..errors import TinyregError
from .base import Store
from .terms import IRI, decimal_literal

_XSD = rdflib.XSD
_P = "urn:tinyreg:check:value"

# (name, literal as the registry writes it, the Python value it must read back as)
LITERALS: list[tuple[str, rdflib.Literal, object]] = [
    ("integer", rdflib.Literal(262144, datatype=_XSD.integer), 262144),
    ("negative integer", rdflib.Literal(-128, datatype=_XSD.integer), -128),
    ("decimal (a quantization scale)", decimal_literal(0.003921568859368563), 0.003921568859369),
    ("decimal (a metric)", decimal_literal(0.9125), 0.9125),
    ("decimal (a failure rate)", rdflib.Literal(decimal.Decimal("0.25")), 0.25),
    ("double", rdflib.Literal(2.5e-10, datatype=_XSD.double), 2.5e-10),
    ("boolean true", rdflib.Literal(True), True),
    ("boolean false", rdflib.Literal(False), False),
    ("language tag", rdflib.Literal("colour sensor", lang="en-GB"), "colour sensor"),
    ("dateTime with offset", rdflib.Literal("2024-05-01T10:00:00+02:00", datatype=_XSD.dateTime),
     "2024-05-01T10:00:00+02:00"),
    ("dateTime in UTC", rdflib.Literal("2024-05-01T08:00:00Z", datatype=_XSD.dateTime),
     "2024-05-01T08:00:00Z"),
    ("xsd:string", rdflib.Literal("keyword-spotting", datatype=_XSD.string), "keyword-spotting"),
    ("plain string with quotes and a newline", rdflib.Literal('say "hi"\nnext'),
     'say "hi"\nnext'),
]


def literal_graph(subject: str) -> rdflib.Graph:
    """One triple per literal kind, on predicates `<urn:tinyreg:check:value:N>`."""
    graph = rdflib.Graph()
    for i, (_, literal, _) in enumerate(LITERALS):
        graph.add((rdflib.URIRef(subject), rdflib.URIRef(f"{_P}:{i}"), literal))
    return graph


def literals_read_back(store: Store, graph_name: str, subject: str) -> list[str]:
    """What differs between LITERALS and what the store answers for them: kind, wanted, got.
    Language tags compare without case (BCP 47; Virtuoso folds them to lower case)."""
    rows = store.query(
        "SELECT ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        {"g": IRI(graph_name), "s": IRI(subject)}).rows
    got = {row["p"]: row["o"] for row in rows}
    graph = store.get_graph(graph_name)
    terms = {str(p): o for _, p, o in graph}
    wrong = []
    for i, (kind, literal, value) in enumerate(LITERALS):
        key = f"{_P}:{i}"
        term = terms.get(key)
        same_term = (term is not None and str(term) == str(literal)
                     and (term.language or "").lower() == (literal.language or "").lower()
                     and _datatype(term) == _datatype(literal))
        if got.get(key) != value or not same_term:
            wrong.append(f"{kind}: wrote {literal.n3()}, read {got.get(key)!r} / "
                         f"{term.n3() if term is not None else None}")
    return wrong


def _datatype(literal: rdflib.Literal) -> str | None:
    # RDF 1.1: a simple literal is an xsd:string.
    if literal.language:
        return None
    return str(literal.datatype or _XSD.string)


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    detail: str = ""
    needed: bool = True


class _Scratch:
    """Scratch graph names for one run of the checks, and their removal."""

    def __init__(self, store: Store):
        self.store = store
        self.prefix = f"urn:tinyreg:check:{uuid.uuid4().hex}:"
        self.names: set[str] = set()

    def name(self, label: str) -> str:
        name = self.prefix + label
        self.names.add(name)
        return name

    def drop(self) -> None:
        try:
            with self.store.transaction() as txn:
                for name in sorted(self.names):
                    txn.delete_graph(name)
        except TinyregError:
            pass  # a check's own failure is what the operator needs to see


def _graph(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format="turtle")


_BLANKS = """<urn:tinyreg:check:board> <urn:tinyreg:check:hasSensor> _:imu .
_:imu <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:tinyreg:check:IMU> .
_:imu <urn:tinyreg:check:part> _:acc .
_:acc <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:tinyreg:check:Accelerometer> .
"""


def _answers(store: Store, scratch: _Scratch) -> str:
    if store.query("ASK WHERE { ?s ?p ?o }").boolean is None:
        return "an ASK query gave no boolean"
    return ""


def _write_and_read(store: Store, scratch: _Scratch) -> str:
    name, graph = scratch.name("blank-nodes"), _graph(_BLANKS)
    store.put_graph(name, graph)
    back = store.get_graph(name)
    if not rdflib.compare.isomorphic(back, graph):
        return f"wrote {len(graph)} triples with blank nodes, read back {len(back)} (not the same graph)"
    return ""


def _revision_moves(store: Store, scratch: _Scratch) -> str:
    before = store.revision()
    mark = store.change_mark()
    name = scratch.name("revision")
    store.put_graph(name, _graph("<urn:tinyreg:check:s> <urn:tinyreg:check:p> 1 .\n"))
    after = store.revision()
    if after != before + 1:
        return f"the revision went from {before} to {after} for one write"
    changes = store.changes_since(mark)
    if changes is None or not changes.touches(name):
        return "the change log does not name the graph just written"
    return ""


def _literals(store: Store, scratch: _Scratch) -> str:
    name, subject = scratch.name("literals"), "urn:tinyreg:check:literals"
    store.put_graph(name, literal_graph(subject))
    return "; ".join(literals_read_back(store, name, subject))


def _big_staged_write(store: Store, scratch: _Scratch) -> str:
    """A transaction of many graphs, including blank-node subjects: the way a device
    import writes, which stages on a server that does not run one request whole."""
    names = [scratch.name(f"many-{i}") for i in range(250)]
    graphs = {n: _graph(_BLANKS.replace("board", f"board{i}")) for i, n in enumerate(names)}
    store.put_graphs(graphs)
    listed = set(store.graph_names(under=scratch.prefix + "many-"))
    if listed != set(names):
        return f"{len(listed)} of {len(names)} graphs listed after one write of them all"
    count = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                         {"g": IRI(names[-1])})[0]["n"]
    if count != 4:
        return f"a graph of 4 triples (two blank-node subjects) holds {count}"
    return ""


def _union_default_graph(store: Store, scratch: _Scratch) -> str:
    name = scratch.name("union")
    store.put_graph(name, _graph("<urn:tinyreg:check:u> <urn:tinyreg:check:in-union> 7 .\n"))
    if not store.ask("ASK WHERE { <urn:tinyreg:check:u> <urn:tinyreg:check:in-union> 7 }"):
        return "a query's default graph does not read the named graphs"
    return ""


def _zero_length_path(store: Store, scratch: _Scratch) -> str:
    name = scratch.name("paths")
    store.put_graph(name, _graph(_BLANKS))
    ask = ("ASK WHERE { ?board <urn:tinyreg:check:hasSensor>/<urn:tinyreg:check:part>* ?s . "
           "?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?kind }")
    missing = [kind for kind in ("IMU", "Accelerometer")
               if not store.ask(ask, {"board": IRI("urn:tinyreg:check:board"),
                                      "kind": IRI(f"urn:tinyreg:check:{kind}")})]
    if missing:
        return f"misses {', '.join(missing)}"
    return ""


def _true_and_one(store: Store, scratch: _Scratch) -> str:
    name = scratch.name("true-and-one")
    store.put_graph(name, _graph(
        '<urn:tinyreg:check:t> <urn:tinyreg:check:v> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n'
        '<urn:tinyreg:check:t> <urn:tinyreg:check:v> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'))
    kept = len(store.get_graph(name))
    return "" if kept == 2 else f"kept {kept} of the 2 triples"


def _full_doubles(store: Store, scratch: _Scratch) -> str:
    name, value = scratch.name("double"), 0.003921568859368563
    store.put_graph(name, _graph(f'<urn:tinyreg:check:d> <urn:tinyreg:check:v> "{value!r}"'
                                 f'^^<http://www.w3.org/2001/XMLSchema#double> .\n'))
    got = store.select("SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } }", {"g": IRI(name)})
    return "" if got == [{"v": value}] else f"wrote {value!r}, read {got[0]['v'] if got else None!r}"


def _now(store: Store, scratch: _Scratch) -> str:
    row = store.select("SELECT (NOW() AS ?t) WHERE {}")
    return "" if row and row[0]["t"] else "NOW() gave nothing"


CHECKS: list[tuple[str, Callable[[Store, _Scratch], str], bool]] = [
    ("answers SELECT and ASK", _answers, True),
    ("writes and reads back a graph with blank nodes", _write_and_read, True),
    ("every write moves the revision and is in the change log", _revision_moves, True),
    ("every literal kind the registry writes reads back equal", _literals, True),
    ("250 graphs written in one transaction arrive whole", _big_staged_write, True),
    ("the default graph is the union of the named graphs", _union_default_graph, True),
    ("NOW() in a query", _now, True),
    # Differences the registry does not rely on, reported for the operator's own queries.
    ("two * paths in one query, bound at opposite ends", _zero_length_path, False),
    ("true and 1 stay two values of one property", _true_and_one, False),
    ("doubles read back with all their digits", _full_doubles, False),
]


def run_checks(store: Store) -> list[Outcome]:
    """Every check against `store`, each on scratch graphs dropped afterwards."""
    outcomes = []
    scratch = _Scratch(store)
    try:
        for name, check, needed in CHECKS:
            try:
                detail = check(store, scratch)
            except TinyregError as exc:
                detail = f"{type(exc).__name__}: {exc.detail}"
            outcomes.append(Outcome(name, not detail, detail, needed))
    finally:
        scratch.drop()
    return outcomes
