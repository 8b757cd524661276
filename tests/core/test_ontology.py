import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from tinyreg.registry.resources import ontology_file, ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, TR


# HermiT's verdict on the core and its modules: tests/ontology/test_modules.py.


def test_ontology_is_versioned_owl2():
    g = rdflib.Graph().parse(ontology_file())
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in g
    version = g.value(onto, OWL.versionIRI)
    assert version is not None and str(version).startswith(ONTOLOGY_IRI + "/")


def _superclasses(g, cls):
    return set(g.transitive_objects(cls, RDFS.subClassOf))


def test_reuses_w3c_vocabularies():
    g = ontology_graph()
    TD = rdflib.Namespace("https://www.w3.org/2019/wot/td#")
    SOSA = rdflib.Namespace("http://www.w3.org/ns/sosa/")
    PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert TD.Thing in _superclasses(g, TR.MicrocontrollerBoard)
    assert SOSA.Sensor in _superclasses(g, TR.PDMMicrophone)
    assert PROV.Activity in _superclasses(g, TR.Deployment)
    assert TR.Microphone in _superclasses(g, TR.PDMMicrophone)


def test_reads_both_generations_of_the_prototype_vocabulary():
    g = ontology_graph()
    for ns in ("http://tinyml-schema.org/networkschema#",
               "https://w3id.org/tinyml-schema/neural-network-schema#"):
        assert TR.ModelVersion in _superclasses(g, rdflib.URIRef(ns + "NeuralNetwork"))
    for ns in ("http://tinyml-schema.org/sosa_extend/",
               "https://w3id.org/tinyml-schema/neural-network-schema/sosa_extend/"):
        assert (rdflib.URIRef(ns + "Microphone"), OWL.equivalentClass, TR.Microphone) in g
