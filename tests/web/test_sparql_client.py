"""The endpoint served by waitress, asked by SPARQLWrapper in every format it can request."""
from __future__ import annotations

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tinyreg.registry.vocab import device_iri

NANO = device_iri("arduino-nano-33-ble-sense")
SELECT = f"""PREFIX tr: <https://w3id.org/tinyreg/ontology#>
SELECT ?ram ?flash WHERE {{ <{NANO}> tr:usableRamBytes ?ram ; tr:usableFlashBytes ?flash }}"""
CONSTRUCT = f"CONSTRUCT {{ <{NANO}> ?p ?o }} WHERE {{ <{NANO}> ?p ?o }}"
RAM = (rdflib.URIRef(NANO), rdflib.URIRef("https://w3id.org/tinyreg/ontology#usableRamBytes"),
       rdflib.Literal(262144))


def ask(url: str, query: str, fmt: str, method: str = "GET"):
    client = SPARQLWrapper(f"{url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setTimeout(30)
    return client.query()


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_json_and_xml(live_server, method):
    data = ask(live_server, SELECT, JSON, method).convert()
    assert data["results"]["bindings"][0]["ram"]["value"] == "262144"
    doc = ask(live_server, SELECT, XML, method).convert()
    literals = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert literals == ["262144", "983040"]


def test_select_csv_and_tsv(live_server):
    assert ask(live_server, SELECT, CSV).convert().decode().splitlines() == [
        "ram,flash", "262144,983040"]
    tsv = ask(live_server, SELECT, TSV).convert().decode().splitlines()
    assert tsv[0] == "?ram\t?flash" and tsv[1].startswith('"262144"^^')


def test_ask(live_server):
    assert ask(live_server, f"ASK {{ <{NANO}> ?p ?o }}", JSON).convert()["boolean"] is True
    doc = ask(live_server, "ASK { <urn:x:none> ?p ?o }", XML).convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, XML, JSONLD])
def test_construct_in_every_graph_format(live_server, fmt):
    result = ask(live_server, CONSTRUCT, fmt).convert()
    if isinstance(result, bytes):
        result = rdflib.Graph().parse(data=result, format="turtle")
    assert RAM in result


def test_describe(live_server):
    graph = ask(live_server, f"DESCRIBE <{NANO}>", RDFXML).convert()
    assert RAM in graph
