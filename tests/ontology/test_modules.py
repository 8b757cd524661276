"""The ontology's modules: what the core imports, what each holds, and that HermiT finds
them consistent together and the core consistent alone."""
from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF

from tinyreg.registry.reasoning import check_ontology
from tinyreg.registry.resources import module_graph, modules, ontology_dir, ontology_graph, reference_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, TR

PROTOTYPE_NAMESPACES = ("http://tinyml-schema.org/", "https://w3id.org/tinyml-schema/")
NAMES = {"tinyml", "deploy", "compat", "runtimes", "latency", "latency-calibration",
         "align-external", "align-prototype"}


def _by_name():
    return {m.name: m for m in modules()}


def test_the_core_imports_every_module_and_every_file_is_one():
    found = _by_name()
    assert set(found) == NAMES
    assert modules()[0].iri == ONTOLOGY_IRI
    assert {p.stem for p in ontology_dir().glob("*.ttl")} == NAMES  # nothing ships unloaded
    core = found["tinyml"]
    assert set(core.imports) == {m.iri for m in modules()[1:]}


def test_each_module_is_versioned_under_the_ontology_iri():
    version = module_graph(modules()[0]).value(rdflib.URIRef(ONTOLOGY_IRI), OWL.versionInfo)
    for module in modules():
        graph = module_graph(module)
        header = rdflib.URIRef(module.iri)
        assert module.iri.startswith(ONTOLOGY_IRI)
        assert graph.value(header, OWL.versionInfo) == version
        suffix = module.iri[len(ONTOLOGY_IRI):]
        assert str(graph.value(header, OWL.versionIRI)) == f"{ONTOLOGY_IRI}/{version}{suffix}"


def _theirs(term) -> bool:
    return isinstance(term, rdflib.URIRef) and not str(term).startswith(str(TR)) \
        and not str(term).startswith(ONTOLOGY_IRI)


def test_the_core_states_nothing_about_other_vocabularies_terms():
    core = module_graph(_by_name()["tinyml"])
    about_theirs = [(s, p, o) for s, p, o in core if _theirs(s) and p != RDF.type]
    assert about_theirs == []
    assert not [t for triple in core for t in triple if str(t).startswith(PROTOTYPE_NAMESPACES)]


def test_the_alignments_are_where_the_axioms_on_others_terms_went():
    S3N = rdflib.Namespace("http://w3id.org/s3n/")
    TD = rdflib.Namespace("https://www.w3.org/2019/wot/td#")
    external = module_graph(_by_name()["align-external"])
    assert (S3N.SmartSensor, rdflib.RDFS.subClassOf, TD.Thing) in external
    assert (S3N.MicroController, rdflib.RDFS.subClassOf,
            rdflib.URIRef("http://www.w3.org/ns/ssn/System")) in external
    prototype = module_graph(_by_name()["align-prototype"])
    subjects = {s for s in prototype.subjects() if isinstance(s, rdflib.URIRef)}
    assert {s for s in subjects if not str(s).startswith(PROTOTYPE_NAMESPACES)} <= {
        rdflib.URIRef(m.iri) for m in modules()} | {
        rdflib.URIRef("http://www.w3.org/2004/02/skos/core#" + n) for n in ("closeMatch", "relatedMatch")} | {
        rdflib.URIRef("https://schema.org/description")}


def test_hermit_finds_the_ontology_consistent_with_every_module():
    report = check_ontology()
    assert report.consistent, report.error
    assert report.unsatisfiable == []
    assert report.modules == [m.iri for m in modules()]
    assert report.classes > 100 and report.object_properties > 40 and report.data_properties > 50


def test_hermit_finds_the_core_consistent_without_its_modules():
    report = check_ontology(modules()[:1])
    assert report.consistent, report.error
    assert report.unsatisfiable == [] and report.modules == [ONTOLOGY_IRI]


def test_hermit_would_see_an_inconsistency_or_an_unsatisfiable_class():
    bad = rdflib.Graph()
    thing, odd = rdflib.URIRef("urn:test:mic-cam"), rdflib.URIRef("urn:test:MicCam")
    bad.add((thing, RDF.type, TR.Microphone))
    bad.add((thing, RDF.type, TR.Camera))  # declared disjoint
    assert not check_ontology(extra=bad).consistent
    unsatisfiable = rdflib.Graph()
    unsatisfiable.add((odd, RDF.type, OWL.Class))
    unsatisfiable.add((odd, rdflib.RDFS.subClassOf, TR.RAM))
    unsatisfiable.add((odd, rdflib.RDFS.subClassOf, TR.Flash))  # declared disjoint
    report = check_ontology(extra=unsatisfiable)
    assert report.consistent and report.unsatisfiable == [str(odd)]


def test_the_registry_loads_every_module_into_its_store(registry):
    rows = registry.store.select("""
        PREFIX tr: <https://w3id.org/tinyreg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?g WHERE { GRAPH ?g {
          <http://tinyml-schema.org/networkschema#NeuralNetwork> rdfs:subClassOf tr:ModelVersion .
          <http://w3id.org/s3n/SmartSensor> rdfs:subClassOf tr:Device .
          tr:TFLM tr:supportsOperator ?op .
          ?cost tr:costOfRuntime tr:TFLM ; tr:runtimeCodeBytes ?code .
          tr:DeploymentCandidate a ?class .
          tr:Superseded a tr:DeploymentStatus .
          tr:arenaBytes rdfs:label ?label } }""")
    assert [r["g"] for r in rows] == [ONTOLOGY_IRI]
    # the ontology, the runtime cost table loaded beside it, and its digest
    assert len(registry.store.get_graph(ONTOLOGY_IRI)) == len(reference_graph()) + 1
