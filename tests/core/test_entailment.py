"""RDFS entailment users expect, written with each graph: `?d a tr:Device` lists every device.

On each store: the catalog's bulk path and a single add both write the superclass types and
super-properties of the ontology's own terms into the entity's graph; a replaced graph keeps
them in step; a store written before (without them) gets them when a registry opens it.
"""
from __future__ import annotations

import rdflib

from tinyreg.registry import Registry
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.devices.register import add_device, load_catalog
from tinyreg.registry.entailment import closure_of, shipped_closure
from tinyreg.registry.resources import ontology_graph
from tinyreg.registry.vocab import TR, prefixes

from ..conftest import DATA

HEAD = prefixes("tr", "sosa", "ssn", "rdfs")
DEVICES = HEAD + "SELECT DISTINCT ?d WHERE { ?d a tr:Device }"
SENSORS = HEAD + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?d tr:hasSensor ?s . ?s a sosa:Sensor }"
ALL_SENSORS = HEAD + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?d tr:hasSensor ?s }"
PARTS = HEAD + "SELECT ?p WHERE { ?d tr:hasProcessor ?p . ?d ssn:hasSubSystem ?p }"


def test_the_closure_is_the_ontologys_own_axioms():
    closure = shipped_closure()
    assert str(TR.Device) in closure.classes[str(TR.MicrocontrollerBoard)]
    assert "http://www.w3.org/ns/sosa/Sensor" in closure.classes[str(TR.Microphone)]
    assert "http://www.w3.org/ns/ssn/hasSubSystem" in closure.properties[str(TR.hasProcessor)]
    # Only the ontology's own terms bring entailments; owl:Thing and the like say nothing.
    assert all(k.startswith(str(TR)) for k in [*closure.classes, *closure.properties])
    assert not any("owl#Thing" in c for supers in closure.classes.values() for c in supers)
    # Transitive: a chain of two axioms gives both superclasses.
    g = rdflib.Graph()
    g.add((TR.A, rdflib.RDFS.subClassOf, TR.B))
    g.add((TR.B, rdflib.RDFS.subClassOf, TR.C))
    assert closure_of(g).classes[str(TR.A)] == (str(TR.B), str(TR.C))
    assert closure_of(ontology_graph()).digest == closure.digest


def test_every_catalog_device_is_a_device_and_its_sensors_sensors(registry):
    load_catalog(registry)
    devices = {r["d"] for r in registry.store.select(DEVICES)}
    assert devices == {r.iri for r in iter_catalog()} and len(devices) == 51
    assert registry.store.select(SENSORS)[0]["n"] == registry.store.select(ALL_SENSORS)[0]["n"] > 0
    assert len(registry.store.select(PARTS)) >= 51


def test_a_replaced_graph_keeps_its_entailments_in_step(registry):
    data = (DATA / "devices" / "td11-tinyml.jsonld").read_bytes()
    [device] = add_device(registry, data, "td11-tinyml.jsonld").devices
    assert {r["d"] for r in registry.store.select(DEVICES)} == {device}
    graph = registry.store.get_graph(device)
    assert (rdflib.URIRef(device), rdflib.RDF.type, TR.Device) in graph  # in its own graph
    registry.store.delete_graph(device)
    assert registry.store.select(DEVICES) == []


def test_a_store_written_before_is_entailed_when_a_registry_opens_it(registry, settings):
    store = registry.store
    closure, store.entailment = store.entailment, None  # as the code before wrote graphs
    try:
        load_catalog(registry)
        store.update(f"DELETE WHERE {{ GRAPH <urn:tinyreg:meta> {{ <urn:tinyreg:entailment> ?p ?o }} }}")
    finally:
        store.entailment = closure
    assert store.select(DEVICES) == []
    reopened = Registry(settings, store=store)
    reopened.ensure_initialized()
    assert len(store.select(DEVICES)) == 51
    before = store.revision()
    Registry(settings, store=store).ensure_initialized()  # done once: nothing is written again
    assert store.revision() == before
