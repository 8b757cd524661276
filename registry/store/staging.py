"""SPARQL Update text for writing whole named graphs to a remote server.

Two ways to replace graphs:

- In place, when one request is one transaction on the server and the request is small
  enough: drop each graph and insert its new triples, all in one request.
- Write the new graph, then switch, everywhere else. The new triples go first into a
  staging graph with every IRI renamed under `urn:tinyreg:staged:<token>:`, so that no
  registry query (which names classes and properties by their real IRIs) can meet them
  while they are being written, however many requests that takes. Then one
  DELETE/INSERT operation per graph removes the old triples and inserts the staged ones
  under their real IRIs. A SPARQL operation is applied whole even by servers that do not
  group a request's operations into one transaction, so a reader sees the old graph or
  the new one, never a mixture.

Every graph is parsed here before any of it is sent (the validation of importer text),
and its blank nodes are relabelled, because one request may not use a blank node label
in two INSERT DATA blocks. A graph with blank nodes is written with INSERT {...} WHERE {...},
the form every server takes (see `insert_ops`); a staged blank node is the same
node in the staging graph and, after the switch, in the target.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import Invalid
from .base import GraphLike, check_graph_name, to_ntriples

STAGING_GRAPH_PREFIX = "urn:tinyreg:staging:"
_STAGED_IRI_PREFIX = "urn:tinyreg:staged:"
_ESCAPES = {"%": "%25", "[": "%5B", "]": "%5D"}


@dataclass(frozen=True)
class Prepared:
    """One graph to write: its name and its triples, parsed, as N-Triples text."""
    name: str
    ntriples: str
    triples: tuple[ox.Quad, ...]


def insert_ops(graphs: list[Prepared]) -> list[str]:
    """Operations inserting the triples of `graphs`: those without blank nodes as INSERT
    DATA, those with them as INSERT {...} WHERE {...} templates (SPARQL 1.1 allows blank nodes
    in both; Virtuoso refuses them in INSERT DATA, "not allowed in a constant clause").
    Triples sharing a blank node stay in one template, which makes one node of it; templates
    hold about TEMPLATE_TRIPLES triples, as Virtuoso refuses a template it compiles to more
    than 10,000 lines of SQL (a graph of some 1,000 such triples). Each operation holds as
    many graphs as fit: Virtuoso compiles every operation on its own, which made a request
    of a hundred devices' operations, two or three each, take seconds."""
    plain = [(graph.name, [q for q in graph.triples if not _has_blank_node(q)])
             for graph in graphs]
    ops = [_insert("INSERT DATA", plain)] if any(triples for _, triples in plain) else []
    batch: list[tuple[str, list[ox.Quad]]] = []
    size = 0
    for graph in graphs:
        for group in _blank_node_groups(graph.triples):
            if batch and size + len(group) > TEMPLATE_TRIPLES:
                ops.append(_insert("INSERT", batch) + _ONE_SOLUTION)
                batch, size = [], 0
            batch.append((graph.name, group))
            size += len(group)
    if batch:
        ops.append(_insert("INSERT", batch) + _ONE_SOLUTION)
    return ops


def _insert(verb: str, parts: list[tuple[str, list[ox.Quad]]]) -> str:
    triples: dict[str, list[ox.Quad]] = {}
    for name, quads in parts:
        triples.setdefault(name, []).extend(quads)
    return verb + " { " + " ".join(f"GRAPH <{name}> {{\n{_nt(quads)}}}"
                                   for name, quads in triples.items() if quads) + " }"


TEMPLATE_TRIPLES = 100
# The one solution a template is instantiated with. Not `WHERE {}`: Virtuoso fails a template
# of several GRAPH blocks with blank nodes over it ("SR002: Function string_output_string
# needs a string output as argument 1").
_ONE_SOLUTION = " WHERE { BIND(1 AS ?one) }"


def _nt(triples) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _blank_node_groups(triples) -> list[list[ox.Quad]]:
    """The triples with blank nodes, grouped so that triples sharing a node are together."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    linked = [q for q in triples if _has_blank_node(q)]
    for q in linked:
        nodes = [t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        if len(nodes) == 2:
            parent[root(nodes[0])] = root(nodes[1])
    groups: dict[str, list[ox.Quad]] = {}
    for q in linked:
        node = q.subject if isinstance(q.subject, ox.BlankNode) else q.object
        groups.setdefault(root(node.value), []).append(q)
    return list(groups.values())


def prepare(name: str, graph: GraphLike) -> Prepared:
    check_graph_name(name)
    text = to_ntriples(graph, validate=False)
    try:
        triples = tuple(ox.parse(text, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise Invalid(f"graph {name}: not valid N-Triples: {exc}") from exc
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode() if triples else ""
    return Prepared(name, body, triples)


def drop_op(name: str) -> str:
    return f"DROP SILENT GRAPH <{name}>"


def in_place_ops(puts: list[Prepared], deletes: list[str]) -> list[str]:
    """Operations replacing `puts` and dropping `deletes`, for a server that runs a request whole."""
    return ([drop_op(name) for name in [*deletes, *(graph.name for graph in puts)]]
            + insert_ops([graph for graph in puts if graph.triples]))


class Staging:
    """The staged copies of one transaction's graphs, under names no query will meet."""

    def __init__(self) -> None:
        token = uuid.uuid4().hex
        self.prefix = f"{_STAGED_IRI_PREFIX}{token}:"
        # For an IRI that is no IRI once prefixed: "[" and "]" may stand only in a host
        # (coap://[2001:db8::1]/), and the prefix makes that host part of a path.
        self.escaped_prefix = f"{_STAGED_IRI_PREFIX}{token}-escaped:"
        self._graph_prefix = f"{STAGING_GRAPH_PREFIX}{token}:"
        self.graphs: dict[str, str] = {}  # target graph -> staging graph
        self._escaping: set[str] = set()  # targets with an escaped IRI

    def stage(self, graph: Prepared) -> Prepared:
        """The staged copy of `graph`: same triples, every IRI renamed, in a staging graph."""
        staging = f"{self._graph_prefix}{len(self.graphs)}"
        self.graphs[graph.name] = staging
        renamed = tuple(ox.Quad(self._rename(q.subject, graph.name),
                                self._rename(q.predicate, graph.name),
                                self._rename(q.object, graph.name)) for q in graph.triples)
        return Prepared(staging, ox.serialize(renamed, format=ox.RdfFormat.N_TRIPLES).decode(),
                        renamed)

    def _rename(self, term, target: str):
        if not isinstance(term, ox.NamedNode):
            return term
        try:
            return ox.NamedNode(self.prefix + term.value)
        except ValueError:
            self._escaping.add(target)
            escaped = "".join(_ESCAPES.get(char, char) for char in term.value)
            return ox.NamedNode(self.escaped_prefix + escaped)

    def switch_op(self, target: str) -> str:
        """One operation that swaps the old triples of `target` for its staged ones."""
        staging, prefix = self.graphs[target], self.prefix
        # Only a term that is an IRI AND carries the staging prefix is renamed back; anything
        # else is copied as it is. Testing isIRI alone is not enough: Virtuoso's isIRI() is
        # true for a blank node in subject position, and STRAFTER of its name gives "".
        real = ("IF(isIRI(?{0}0) && STRSTARTS(STR(?{0}0), \"{1}\"), "
                "IRI(STRAFTER(STR(?{0}0), \"{1}\")), ?{0}0)")
        if target in self._escaping:
            unescape = 'STRAFTER(STR(?{0}0), "%s")' % self.escaped_prefix
            for char, code in _ESCAPES.items():  # "%" last, as it was escaped first
                unescape = f'REPLACE({unescape}, "{code}", "{char}")' if char != "%" else unescape
            unescape = f'REPLACE({unescape}, "%25", "%")'
            real = (f'IF(isIRI(?{{0}}0) && STRSTARTS(STR(?{{0}}0), "{self.escaped_prefix}"), '
                    f"IRI({unescape}), {real})")
        return (
            f"DELETE {{ GRAPH <{target}> {{ ?s ?p ?o }} }} "
            f"INSERT {{ GRAPH <{target}> {{ ?s1 ?p1 ?o1 }} }} WHERE {{ "
            f"{{ GRAPH <{target}> {{ ?s ?p ?o }} }} UNION "
            f"{{ GRAPH <{staging}> {{ ?s0 ?p0 ?o0 }} "
            f"BIND({real.format('s', prefix)} AS ?s1) BIND({real.format('p', prefix)} AS ?p1) "
            f"BIND({real.format('o', prefix)} AS ?o1) }} }}")

    def cleanup_ops(self, targets: list[str] | None = None) -> list[str]:
        """Drops of the staged copies of `targets` (None: of every graph staged)."""
        return [drop_op(self.graphs[t]) for t in (self.graphs if targets is None else targets)]
