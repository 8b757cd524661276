"""The SPARQL 1.1 Service Description of the endpoint, built once per app configuration."""
from __future__ import annotations

import rdflib
from rdflib.namespace import RDF

from .results import GRAPH_FORMATS, RESULT_FORMATS

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
# The W3C's IRIs for the result and RDF formats we produce.
_FORMAT_IRIS = {"json": FORMATS.SPARQL_Results_JSON, "xml": FORMATS.SPARQL_Results_XML,
                "csv": FORMATS.SPARQL_Results_CSV, "tsv": FORMATS.SPARQL_Results_TSV,
                "turtle": FORMATS.Turtle, "ntriples": FORMATS["N-Triples"],
                "rdfxml": FORMATS.RDF_XML, "jsonld": FORMATS["JSON-LD"]}


def service_description(endpoint: str, *, update: bool) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    service = rdflib.BNode("service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, rdflib.URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if update:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in RESULT_FORMATS + GRAPH_FORMATS:
        graph.add((service, SD.resultFormat, _FORMAT_IRIS[fmt.name]))
    dataset = rdflib.BNode("dataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = rdflib.BNode("default")
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    return graph
