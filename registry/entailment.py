"""The RDFS entailments users expect, written down with the graphs that cause them.

`SELECT ?d WHERE { ?d a tr:Device }` should list every device although each graph states
only `tr:MicrocontrollerBoard` or `tr:LinuxDevice`; `?s a sosa:Sensor` every sensor. So
when a graph is written, each `rdf:type` of one of the ontology's classes brings the types
of all its superclasses, and each use of one of its properties the same statement with every
super-property (rules rdfs9 and rdfs7 of RDF 1.1 Semantics, over the subclass and
subproperty axioms the shipped ontology states about its own terms). The entailed triples go
into the same named graph: they are replaced and dropped with it and the change log names
them with it, so no reader ever sees a graph without its entailments. Stores written before
this (or under an ontology with other axioms) are brought in step by `Registry.init`, which
writes every entity graph again when the closure's digest differs from the stored one.

Only named superclasses count (not OWL restrictions), and none of the RDF or OWL
vocabularies' own (owl:Thing, rdfs:Resource), which say nothing.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from .vocab import ID, TR

_RDF_TYPE = f"<{RDF.type}>"
_SAY_NOTHING = {OWL.Thing, RDFS.Resource, RDFS.Class, OWL.Class}
# Raise it when the rules change: stores are then written again by Registry.init.
RULES_VERSION = "1"


class Entailed(str):
    """N-Triples text that holds its entailments already: a store writes it as it is (an
    import's reading processes add them, off the process that writes)."""


def entailed(closure: "Closure | None", name: str, graph):
    """The graph named `name` as a store writes it: an entity's (under ID) with its
    entailments when there is a closure; the ontology's own graph stays as it ships."""
    if closure is None or isinstance(graph, Entailed) or not name.startswith(ID):
        return graph
    return closure.apply(graph)


@dataclass(frozen=True)
class Closure:
    classes: dict[str, tuple[str, ...]]     # class IRI -> every strict named superclass
    properties: dict[str, tuple[str, ...]]  # property IRI -> every strict super-property
    digest: str

    @functools.cached_property
    def _by_term(self) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        """The axioms keyed by the N-Triples terms a line holds: what follows the subject
        for each class's superclasses, and each property's super-properties."""
        types = {f"<{c}>": tuple(f" {_RDF_TYPE} <{s}> ." for s in supers)
                 for c, supers in self.classes.items()}
        properties = {f"<{p}>": tuple(f"<{q}>" for q in supers)
                      for p, supers in self.properties.items()}
        return types, properties

    def ntriples(self, text: str) -> str:
        """N-Triples text with lines for its entailments appended."""
        types, properties = self._by_term
        added = []
        for line in text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) < 3:
                continue
            s, p, rest = parts
            if p == _RDF_TYPE:
                added += [s + tail for tail in types.get(rest.rstrip(" ."), ())]
            for q in properties.get(p, ()):
                added.append(f"{s} {q} {rest}")
        if not added:
            return text
        return text + ("" if text.endswith("\n") else "\n") + "\n".join(added) + "\n"

    def apply(self, graph) -> str:
        """Either kind of graph a store writes (an rdflib Graph or N-Triples text), as
        N-Triples text with its entailments (the form every store writes anyway)."""
        return Entailed(self.ntriples(graph if isinstance(graph, str) else graph.serialize(format="nt")))


def _ancestors(axioms: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for start in axioms:
        seen: set[str] = set()
        todo = list(axioms[start])
        while todo:
            node = todo.pop()
            if node in seen or node == start:
                continue
            seen.add(node)
            todo += axioms.get(node, ())
        if seen:
            out[start] = tuple(sorted(seen))
    return out


def closure_of(ontology: rdflib.Graph) -> Closure:
    """The subclass and subproperty closure over the terms the ontology defines (tr:)."""
    def axioms(predicate) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for sub, sup in ontology.subject_objects(predicate):
            if isinstance(sub, rdflib.URIRef) and isinstance(sup, rdflib.URIRef) \
                    and sup not in _SAY_NOTHING:
                found.setdefault(str(sub), set()).add(str(sup))
        return found
    classes, properties = axioms(RDFS.subClassOf), axioms(RDFS.subPropertyOf)
    ours = str(TR)
    classes = {k: v for k, v in _ancestors(classes).items() if k.startswith(ours)}
    properties = {k: v for k, v in _ancestors(properties).items() if k.startswith(ours)}
    text = repr((RULES_VERSION, sorted(classes.items()), sorted(properties.items())))
    return Closure(classes, properties, hashlib.sha256(text.encode()).hexdigest())


@functools.lru_cache(maxsize=1)
def shipped_closure() -> Closure:
    from .resources import ontology_graph
    return closure_of(ontology_graph())
