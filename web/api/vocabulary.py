"""HTML documentation of the ontology, generated from the ontology graph itself.

Every term of the `tr:` namespace with its label, definition, module of origin and
deprecation; classes with their super- and subclasses and members; properties with their
kind, domain and range (unions spelled out) and unit; named individuals with their class;
the modules; and the competency questions with their SPARQL. `document()` builds it from
the parts it is given, `documentation()` from what ships, once per process.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from tinyreg.registry.competency import CompetencyQuestion, competency_questions
from tinyreg.registry.resources import Module, module_graph, modules, ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, PREFIXES, QUDT, TR

_PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
_CLASS_KINDS = (OWL.Class, RDFS.Class)
_NOT_MEMBERSHIP = set(_PROPERTY_KINDS) | set(_CLASS_KINDS) | {OWL.NamedIndividual,
                                                              OWL.FunctionalProperty}
_CURIES = {**PREFIXES, "quantitykind": "http://qudt.org/vocab/quantitykind/",
           "skos": str(SKOS), "vann": "http://purl.org/vocab/vann/"}


@dataclass(frozen=True)
class Ref:
    curie: str
    anchor: str | None  # in-page anchor when the term is ours, else None (an external IRI)
    iri: str


@dataclass(frozen=True)
class Expression:
    """A domain or range: one class, or a union of classes."""
    members: tuple[Ref, ...]
    union: bool = False


@dataclass
class Term:
    iri: str
    curie: str
    anchor: str
    label: str = ""
    comment: str = ""
    kind: str = ""
    module: Ref | None = None
    deprecated: bool = False
    replaced_by: list[Ref] = field(default_factory=list)  # tr:flashBytes has two successors
    parents: list[Ref] = field(default_factory=list)
    children: list[Ref] = field(default_factory=list)
    domain: list[Expression] = field(default_factory=list)
    range: list[Expression] = field(default_factory=list)
    members: list[Ref] = field(default_factory=list)
    types: list[Ref] = field(default_factory=list)
    unit: Ref | None = None
    quantity_kind: Ref | None = None
    characteristics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModuleDoc:
    iri: str
    anchor: str
    name: str
    title: str
    description: str
    version_iri: str
    imports: tuple[str, ...]


def curie(iri: str) -> str:
    best, name = "", iri
    for prefix, namespace in _CURIES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, name = namespace, f"{prefix}:{iri[len(namespace):]}"
    return name


def _ours(iri: str) -> bool:
    return iri.startswith(str(TR))


def _ref(iri) -> Ref:
    iri = str(iri)
    return Ref(curie(iri), iri[len(str(TR)):] if _ours(iri) else None, iri)


def _text(graph: rdflib.Graph, subject, *predicates) -> str:
    values = [v for p in predicates for v in graph.objects(subject, p)]
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    return str((english or values or [""])[0])


def _expressions(graph: rdflib.Graph, subject, predicate) -> list[Expression]:
    out = []
    for node in graph.objects(subject, predicate):
        if isinstance(node, URIRef):
            out.append(Expression((_ref(node),)))
        elif isinstance(node, BNode) and graph.value(node, OWL.unionOf) is not None:
            members = Collection(graph, graph.value(node, OWL.unionOf))
            out.append(Expression(tuple(_ref(m) for m in members if isinstance(m, URIRef)), True))
    return sorted(out, key=lambda e: [m.curie for m in e.members])


def _refs(values) -> list[Ref]:
    return sorted({_ref(v) for v in values if isinstance(v, URIRef)}, key=lambda r: r.curie)


def _module_anchor(module: Module) -> str:
    return "module-" + module.name


def document(graph: rdflib.Graph, parts: list[tuple[Module, rdflib.Graph]],
             questions: tuple[CompetencyQuestion, ...]) -> dict:
    """The documentation of `graph` (the union of `parts`), with `questions`."""
    onto = URIRef(ONTOLOGY_IRI)
    origin = {}
    for module, part in parts:
        for subject in part.subjects(RDF.type, None):
            if isinstance(subject, URIRef) and _ours(str(subject)):
                origin.setdefault(str(subject), Ref(module.name, _module_anchor(module), module.iri))

    def term(iri, kind: str) -> Term:
        replaced = sorted(o for o in graph.objects(iri, DCTERMS.isReplacedBy) if isinstance(o, URIRef))
        return Term(str(iri), curie(str(iri)), str(iri)[len(str(TR)):], kind=kind,
                    label=_text(graph, iri, RDFS.label),
                    comment=_text(graph, iri, SKOS.definition, RDFS.comment),
                    module=origin.get(str(iri)),
                    deprecated=graph.value(iri, OWL.deprecated) == Literal(True),
                    replaced_by=[_ref(r) for r in replaced])

    classes, properties, individuals = {}, {}, {}
    for kind in _CLASS_KINDS:
        for iri in set(graph.subjects(RDF.type, kind)):
            if isinstance(iri, URIRef) and _ours(str(iri)) and str(iri) not in classes:
                item = term(iri, "class")
                item.parents = _refs(graph.objects(iri, RDFS.subClassOf))
                item.parents += _refs(graph.objects(iri, OWL.equivalentClass))
                item.children = _refs(graph.subjects(RDFS.subClassOf, iri))
                item.members = _refs(graph.subjects(RDF.type, iri))
                item.types = _refs(t for t in graph.objects(iri, RDF.type) if t not in _NOT_MEMBERSHIP)
                classes[str(iri)] = item
    for kind in _PROPERTY_KINDS:
        for iri in set(graph.subjects(RDF.type, kind)):
            if isinstance(iri, URIRef) and _ours(str(iri)) and str(iri) not in properties:
                item = term(iri, kind.fragment)
                item.parents = _refs(graph.objects(iri, RDFS.subPropertyOf))
                item.domain = _expressions(graph, iri, RDFS.domain)
                item.range = _expressions(graph, iri, RDFS.range)
                unit, quantity = graph.value(iri, QUDT.unit), graph.value(iri, QUDT.hasQuantityKind)
                item.unit = _ref(unit) if unit is not None else None
                item.quantity_kind = _ref(quantity) if quantity is not None else None
                item.characteristics = sorted(
                    t.fragment for t in graph.objects(iri, RDF.type)
                    if t in (OWL.FunctionalProperty, OWL.InverseFunctionalProperty,
                             OWL.TransitiveProperty, OWL.SymmetricProperty))
                inverse = graph.value(iri, OWL.inverseOf)
                if isinstance(inverse, URIRef):
                    item.characteristics.append(f"inverse of {curie(str(inverse))}")
                properties[str(iri)] = item
    for iri, kind in graph.subject_objects(RDF.type):
        if (isinstance(iri, URIRef) and _ours(str(iri)) and str(iri) not in classes
                and str(iri) not in properties and kind not in _NOT_MEMBERSHIP):
            item = individuals.get(str(iri)) or term(iri, "individual")
            item.types = sorted(set(item.types) | {_ref(kind)}, key=lambda r: r.curie)
            individuals[str(iri)] = item

    docs = []
    for module, part in parts:
        header = URIRef(module.iri)
        docs.append(ModuleDoc(module.iri, _module_anchor(module), module.name, module.title,
                              _text(part, header, DCTERMS.description),
                              str(part.value(header, OWL.versionIRI) or ""), module.imports))

    def ordered(items):
        return sorted(items.values(), key=lambda t: t.curie.lower())

    return {
        "iri": ONTOLOGY_IRI,
        "title": _text(graph, onto, DCTERMS.title),
        "description": _text(graph, onto, DCTERMS.description),
        "version": _text(graph, onto, OWL.versionInfo),
        "version_iri": str(graph.value(onto, OWL.versionIRI) or ""),
        "license": str(graph.value(onto, DCTERMS.license) or ""),
        "changelog": str(graph.value(onto, RDFS.seeAlso) or ""),
        "modules": docs,
        "classes": ordered(classes),
        "properties": ordered(properties),
        "individuals": ordered(individuals),
        "deprecated": [t for t in ordered({**classes, **properties, **individuals}) if t.deprecated],
        "questions": list(questions),
        "triples": len(graph),
    }


@functools.lru_cache(maxsize=1)
def documentation() -> dict:
    return document(ontology_graph(), [(m, module_graph(m)) for m in modules()],
                    competency_questions())
