"""HTML documentation of the ontology, generated from the ontology graph itself.

Classes with their labels, comments, super- and subclasses; properties with domain and range;
named individuals grouped by class. Built once per process (the graph is parsed once).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from tinyreg.registry.resources import ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, PREFIXES, TR

_DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
_PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@dataclass
class Term:
    iri: str
    curie: str
    anchor: str
    label: str = ""
    comment: str = ""
    kind: str = ""
    parents: list["Ref"] = field(default_factory=list)
    children: list["Ref"] = field(default_factory=list)
    domain: list["Ref"] = field(default_factory=list)
    range: list["Ref"] = field(default_factory=list)
    members: list["Ref"] = field(default_factory=list)


@dataclass(frozen=True)
class Ref:
    curie: str
    anchor: str | None  # in-page anchor when the term is ours, else None (an external IRI)
    iri: str


def curie(iri: str) -> str:
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, name = namespace, f"{prefix}:{iri[len(namespace):]}"
    return name if best else iri


def _ours(iri: str) -> bool:
    return iri.startswith(str(TR))


def _ref(iri) -> Ref:
    iri = str(iri)
    return Ref(curie(iri), iri[len(str(TR)):] if _ours(iri) else None, iri)


def _text(graph: rdflib.Graph, subject, predicate) -> str:
    values = list(graph.objects(subject, predicate))
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    return str((english or values or [""])[0])


@functools.lru_cache(maxsize=1)
def documentation() -> dict:
    graph = ontology_graph()
    onto = rdflib.URIRef(ONTOLOGY_IRI)

    def term(iri, kind: str) -> Term:
        return Term(str(iri), curie(str(iri)), str(iri)[len(str(TR)):], kind=kind,
                    label=_text(graph, iri, RDFS.label), comment=_text(graph, iri, RDFS.comment))

    classes = {}
    for iri in set(graph.subjects(RDF.type, OWL.Class)):
        if isinstance(iri, rdflib.URIRef) and _ours(str(iri)):
            item = term(iri, "class")
            item.parents = sorted({_ref(p) for p in graph.objects(iri, RDFS.subClassOf)
                                   if isinstance(p, rdflib.URIRef)}, key=lambda r: r.curie)
            item.children = sorted({_ref(c) for c in graph.subjects(RDFS.subClassOf, iri)
                                    if isinstance(c, rdflib.URIRef)}, key=lambda r: r.curie)
            item.members = sorted({_ref(m) for m in graph.subjects(RDF.type, iri)
                                   if isinstance(m, rdflib.URIRef)}, key=lambda r: r.curie)
            classes[str(iri)] = item
    properties = {}
    for kind in _PROPERTY_KINDS:
        for iri in set(graph.subjects(RDF.type, kind)):
            if isinstance(iri, rdflib.URIRef) and _ours(str(iri)) and str(iri) not in properties:
                item = term(iri, kind.fragment)
                item.parents = sorted({_ref(p) for p in graph.objects(iri, RDFS.subPropertyOf)},
                                      key=lambda r: r.curie)
                item.domain = sorted({_ref(d) for d in graph.objects(iri, RDFS.domain)
                                      if isinstance(d, rdflib.URIRef)}, key=lambda r: r.curie)
                item.range = sorted({_ref(r) for r in graph.objects(iri, RDFS.range)
                                     if isinstance(r, rdflib.URIRef)}, key=lambda r: r.curie)
                properties[str(iri)] = item
    return {
        "iri": ONTOLOGY_IRI,
        "title": _text(graph, onto, _DCTERMS.title),
        "description": _text(graph, onto, _DCTERMS.description),
        "version": _text(graph, onto, OWL.versionInfo),
        "classes": sorted(classes.values(), key=lambda t: t.curie.lower()),
        "properties": sorted(properties.values(), key=lambda t: t.curie.lower()),
        "triples": len(graph),
    }
