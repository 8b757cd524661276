"""The data the registry writes speaks only the ontology's terms, and its classes close over
the hierarchy a SPARQL user or a reasoner follows (a board is a tr:Device)."""
from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from tinyreg.registry.resources import ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, TR


def _ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(TR))


def test_every_tr_term_the_data_uses_is_declared_with_its_kind(cq_registry):
    registry, _ = cq_registry
    onto = ontology_graph()
    classes = set(onto.subjects(RDF.type, OWL.Class))
    properties = {p for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
                  for p in onto.subjects(RDF.type, kind)}
    used_classes, used_properties = set(), set()
    for name in registry.store.graph_names():
        if name == ONTOLOGY_IRI:
            continue
        graph = registry.store.get_graph(name)
        used_properties |= {p for p in graph.predicates() if _ours(p)}
        used_classes |= {c for c in graph.objects(None, RDF.type) if _ours(c)}
    assert len(used_properties) > 60 and len(used_classes) > 15  # the seed uses much of it
    assert used_properties - properties == set()
    assert used_classes - classes == set()


def test_the_entities_close_over_the_hierarchy(cq_data):
    onto = ontology_graph()

    def roots(cls):
        return set(onto.transitive_objects(cls, RDFS.subClassOf))

    for entity, cls in cq_data.subject_objects(RDF.type):
        if cls in (TR.MicrocontrollerBoard, TR.LinuxDevice):
            assert TR.Device in roots(cls)
        if cls in (TR.Microcontroller, TR.ApplicationProcessor):
            assert TR.Processor in roots(cls)
    sensor_classes = {c for s in cq_data.objects(None, TR.hasSensor) for c in cq_data.objects(s, RDF.type)}
    assert sensor_classes and all(URIRef("http://www.w3.org/ns/sosa/Sensor") in roots(c)
                                  for c in sensor_classes)
    for need in cq_data.objects(None, TR.requiresSensor):
        assert (need, RDF.type, TR.SensorKind) in onto  # the range of tr:requiresSensor
