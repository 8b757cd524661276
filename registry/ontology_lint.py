"""Pitfalls of the ontology, after the OOPS! catalogue (Poveda-Villalón et al.).

Each check reads the ontology graph (the core with its modules) and reports findings by
pitfall code and term. Only terms in the ontology's own namespace are judged, except for
unused declarations, which are findings on any term our files declare. What counts as
"used" outside the ontology (the shapes, the competency questions) is passed in, so the
same checks serve the test suite and `tinyreg ontology check`.

The codes: P04 unconnected element, P06 cycle in the class hierarchy, P08 missing or
doubled annotation, P11 missing domain or range, P13 inverse not declared, P19 more than
one domain or range, P22 naming against the convention, P34/P35 a term of ours used as a
class or property but not declared, plus "undefined" (a term of ours the shapes or a
competency question use that the ontology lacks), "unused" (declared, then used by no axiom),
"overloaded" (one property for a model's need and a device's capacity), "units" (a unit
named but not stated, or stated without its quantity kind) and "deprecation" (a
deprecated term without its replacement).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from .vocab import QUDT, TR, UNIT

_CLASS_TYPES = (OWL.Class, RDFS.Class)
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
_DECLARATIONS = set(_CLASS_TYPES) | set(_PROPERTY_TYPES) | {OWL.NamedIndividual, RDF.Property}
_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long,
            XSD.nonNegativeInteger, XSD.positiveInteger}
# A property whose name states its unit must state it machine-readably too.
_NAMED_UNITS = (("Bytes", UNIT.BYTE), ("Hz", UNIT.HZ), ("Count", UNIT.NUM))
# A need of a model version and a capacity of a device are different things.
_SIDES = (TR.ModelVersion, TR.Device)


@dataclass(frozen=True, order=True)
class Finding:
    code: str
    term: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {_short(self.term)}: {self.message}"


def _short(iri: str) -> str:
    return "tr:" + iri[len(str(TR)):] if iri.startswith(str(TR)) else f"<{iri}>"


def lint(graph: rdflib.Graph, used: Iterable[str] = (), namespace: str = str(TR)) -> list[Finding]:
    """Every pitfall found in `graph`; `used` holds IRIs that the shapes or the competency
    questions use, which keeps a declaration from counting as unused."""
    checker = _Checker(graph, namespace, {str(iri) for iri in used})
    return sorted(checker.findings())


class _Checker:
    def __init__(self, graph: rdflib.Graph, namespace: str, used: set[str]):
        self.g = graph
        self.ns = namespace
        self.used = used
        self.declared = {s for t in _DECLARATIONS for s in graph.subjects(RDF.type, t)
                         if isinstance(s, URIRef)}
        self.classes = {s for t in _CLASS_TYPES for s in graph.subjects(RDF.type, t)
                        if isinstance(s, URIRef)}
        self.properties = {s for t in _PROPERTY_TYPES for s in graph.subjects(RDF.type, t)
                           if isinstance(s, URIRef)}
        self.annotation_properties = set(graph.subjects(RDF.type, OWL.AnnotationProperty))

    def ours(self, term) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(self.ns)

    def findings(self):
        own_terms = {s for s in self.g.subjects() if self.ours(s)}
        yield from self._annotations(own_terms)
        for term in sorted(self.properties):
            if self.ours(term):
                yield from self._property(term)
        for term in sorted(self.classes):
            if self.ours(term):
                yield from self._class(term)
        yield from self._cycles()
        yield from self._inverses()
        yield from self._undeclared()
        yield from self._unused()
        yield from self._deprecations(own_terms)

    # ---- P08: every term of ours has one English label and an English definition
    def _annotations(self, terms):
        for term in sorted(terms):
            labels = [l for l in self.g.objects(term, RDFS.label) if _english(l)]
            definitions = [d for p in (SKOS.definition, RDFS.comment)
                           for d in self.g.objects(term, p) if _english(d)]
            if not labels:
                yield Finding("P08", str(term), "no English rdfs:label")
            elif len(labels) > 1:
                yield Finding("P08", str(term), f"{len(labels)} English labels; give it one")
            if not definitions:
                yield Finding("P08", str(term), "no English definition (skos:definition or rdfs:comment)")

    # ---- properties: P04, P11, P19, P22, units, overloading
    def _property(self, term):
        g = self.g
        domains, ranges = list(g.objects(term, RDFS.domain)), list(g.objects(term, RDFS.range))
        parents = list(g.objects(term, RDFS.subPropertyOf))
        if not (domains or ranges or parents or self._mentioned(term)):
            yield Finding("P04", str(term), "connected to nothing: no domain, range or super-property")
        if not domains:
            yield Finding("P11", str(term), "no rdfs:domain")
        if not ranges:
            yield Finding("P11", str(term), "no rdfs:range")
        if len(domains) > 1:
            yield Finding("P19", str(term), f"{len(domains)} domains, read as their intersection; "
                          "state one (a union if it has several kinds of subject)")
        if len(ranges) > 1:
            yield Finding("P19", str(term), f"{len(ranges)} ranges, read as their intersection; state one")
        local = str(term)[len(self.ns):]
        if not local[:1].islower():
            yield Finding("P22", str(term), "a property's name starts with a lowercase letter")
        yield from self._units(term, local, ranges)
        sides = [side for side in _SIDES if self._covers(domains, side)]
        # A deprecated term keeps its old domain for the release it is retired in; its
        # replacements are what must not be overloaded.
        deprecated = g.value(term, OWL.deprecated) == Literal(True)
        if len(sides) > 1 and g.value(term, QUDT.unit) is not None and not deprecated:
            yield Finding("overloaded", str(term), "one quantity for what a model version needs and "
                          "what a device offers; give each its own property")

    def _units(self, term, local: str, ranges):
        unit = self.g.value(term, QUDT.unit)
        for suffix, expected in _NAMED_UNITS:
            if local.endswith(suffix) and unit != expected:
                yield Finding("units", str(term), f"its name says {suffix} but its qudt:unit is "
                              f"{unit or 'missing'}; state qudt:unit {expected}")
        if unit is not None:
            if self.g.value(term, QUDT.hasQuantityKind) is None:
                yield Finding("units", str(term), "qudt:unit without qudt:hasQuantityKind")
            if not set(ranges) & _NUMERIC:
                yield Finding("units", str(term), "a unit on a property whose range is not a number")

    def _covers(self, domains, side) -> bool:
        """Whether a domain (or a member of a union domain) is `side` or under it."""
        for domain in domains:
            members = self._union(domain) or [domain]
            if any(side in self.g.transitive_objects(m, RDFS.subClassOf) for m in members):
                return True
        return False

    def _union(self, node) -> list:
        items = self.g.value(node, OWL.unionOf) if isinstance(node, BNode) else None
        return list(Collection(self.g, items)) if items is not None else []

    # ---- classes: P04, P22
    def _class(self, term):
        g = self.g
        connected = (any(o != OWL.Thing for o in g.objects(term, RDFS.subClassOf))
                     or any(g.subjects(RDFS.subClassOf, term)) or any(g.subjects(RDF.type, term))
                     or any(g.objects(term, OWL.equivalentClass)) or self._mentioned(term))
        if not connected:
            yield Finding("P04", str(term), "connected to nothing: no super- or subclass, member "
                          "or use in a domain, range or restriction")
        if not str(term)[len(self.ns):][:1].isupper():
            yield Finding("P22", str(term), "a class's name starts with a capital letter")

    def _mentioned(self, term) -> bool:
        """Used as the object of an axiom (domain, range, restriction, disjointness ...)."""
        return any(p not in (RDF.type,) for _, p in self.g.subject_predicates(term))

    # ---- P06: no class is its own strict superclass
    def _cycles(self):
        g = self.g
        for cls in sorted(self.classes):
            if not self.ours(cls):
                continue
            parents = [p for p in g.objects(cls, RDFS.subClassOf) if isinstance(p, URIRef)]
            loop = [p for p in parents if p == cls or cls in set(g.transitive_objects(p, RDFS.subClassOf))]
            if loop:
                yield Finding("P06", str(cls), "its own superclass, through "
                              + ", ".join(_short(str(p)) for p in loop))

    # ---- P13: properties that connect the same classes in opposite directions
    def _inverses(self):
        g = self.g
        by_ends = {}
        for p in sorted(self.properties):
            if self.ours(p) and (p, RDF.type, OWL.ObjectProperty) in g:
                d, r = g.value(p, RDFS.domain), g.value(p, RDFS.range)
                if isinstance(d, URIRef) and isinstance(r, URIRef) and d != r:
                    by_ends[p] = (d, r)
        for p, (d, r) in by_ends.items():
            for q, ends in by_ends.items():
                if str(p) < str(q) and ends == (r, d) and not self._inverse(p, q):
                    yield Finding("P13", str(p), f"connects {_short(str(d))} to {_short(str(r))} as "
                                  f"{_short(str(q))} does the other way, but neither is declared the "
                                  "inverse (owl:inverseOf) or a sub-property of the inverse of the other")
        for p, q in g.subject_objects(OWL.inverseOf):
            if self.ours(p) and isinstance(q, URIRef):
                if (g.value(p, RDFS.domain), g.value(p, RDFS.range)) != (g.value(q, RDFS.range),
                                                                           g.value(q, RDFS.domain)):
                    yield Finding("P13", str(p), f"declared the inverse of {_short(str(q))} but their "
                                  "domains and ranges do not mirror each other")

    def _inverse(self, p, q) -> bool:
        g = self.g
        if (p, OWL.inverseOf, q) in g or (q, OWL.inverseOf, p) in g:
            return True
        for a, b in ((p, q), (q, p)):
            for parent in g.objects(a, RDFS.subPropertyOf):
                if isinstance(parent, BNode) and g.value(parent, OWL.inverseOf) == b:
                    return True
        return False

    # ---- P34 / P35: our IRIs used as a class or a property without being declared one
    def _undeclared(self):
        g = self.g
        as_class = set(g.objects(None, RDFS.subClassOf)) | set(g.objects(None, RDFS.domain)) \
            | set(g.objects(None, OWL.someValuesFrom)) | set(g.objects(None, OWL.allValuesFrom)) \
            | {r for p in g.subjects(RDF.type, OWL.ObjectProperty) for r in g.objects(p, RDFS.range)} \
            | {c for _, c in g.subject_objects(RDF.type) if (c, RDF.type, OWL.Class) not in g
               and any(g.subjects(RDF.type, c)) and c not in _DECLARATIONS}
        for term in sorted(t for t in as_class if self.ours(t) and t not in self.classes):
            yield Finding("P34", str(term), "used as a class but not declared owl:Class")
        for term in sorted({p for p in g.predicates() if self.ours(p)} - self.properties):
            yield Finding("P35", str(term), "used as a property but not declared one")
        defined = set(g.subjects())
        for iri in sorted(i for i in self.used if i.startswith(self.ns)):
            if URIRef(iri) not in defined:
                yield Finding("undefined", iri, "used by the shapes or a competency question, "
                              "but the ontology does not define it")

    # ---- unused: declared, and then used by no axiom, shape or competency question
    def _unused(self):
        g = self.g
        for term in sorted(self.declared):
            if str(term) in self.used or self._mentioned(term) or any(g.triples((None, term, None))):
                continue
            if any(p not in (RDF.type,) and p not in self.annotation_properties
                   and not isinstance(o, Literal) for p, o in g.predicate_objects(term)):
                continue  # it takes part in an axiom of its own
            if any(o not in _DECLARATIONS and o not in (OWL.FunctionalProperty,)
                   for o in g.objects(term, RDF.type)):
                continue  # an individual of one of the ontology's classes
            yield Finding("unused", str(term), "declared, but no axiom, shape or competency "
                          "question uses it")

    # ---- deprecation: a deprecated term says what replaces it
    def _deprecations(self, terms):
        for term in sorted(terms):
            if self.g.value(term, OWL.deprecated) == Literal(True):
                replacement = self.g.value(term, DCTERMS.isReplacedBy)
                if replacement is None:
                    yield Finding("deprecation", str(term), "deprecated without dcterms:isReplacedBy")
                elif self.g.value(replacement, OWL.deprecated) == Literal(True):
                    yield Finding("deprecation", str(term), f"replaced by {_short(str(replacement))}, "
                                  "which is deprecated too")
                elif replacement not in self.declared:
                    yield Finding("deprecation", str(term), f"replaced by {_short(str(replacement))}, "
                                  "which the ontology does not declare")
                if str(term) in self.used:
                    yield Finding("deprecation", str(term), "deprecated, yet the shapes or a "
                                  "competency question still use it")


def _english(value) -> bool:
    return isinstance(value, Literal) and value.language in ("en", None) and str(value).strip() != ""


def in_namespace(findings: Iterable[Finding], namespace: str = str(TR)) -> list[Finding]:
    """The findings on terms of `namespace` (the project's own)."""
    return [f for f in findings if f.term.startswith(namespace)]


def group(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        out[finding.code].append(finding)
    return dict(out)


def shipped_findings() -> list[Finding]:
    """The pitfalls of the ontology that ships, judged with the shapes and the competency
    questions as its users (the terms a pending question needs are not yet expected)."""
    from .competency import competency_questions
    from .resources import ontology_graph, shapes_graph

    used = {str(t) for triple in shapes_graph() for t in triple if isinstance(t, URIRef)}
    for question in competency_questions():
        used |= question.terms() - set(question.needs)
    return lint(ontology_graph(), used)
