"""The /sparql endpoint with Flask's test client: the protocol's encodings, datasets,
content negotiation, limits, protection and errors."""
from __future__ import annotations

import csv
import io
import json
import socket
import xml.etree.ElementTree as ET

import pytest
import rdflib

from tinyreg.registry.vocab import ONTOLOGY_IRI, device_iri

from .conftest import TOKEN, make_app

NANO = device_iri("arduino-nano-33-ble-sense")
SELECT_NANO = f"""PREFIX schema: <https://schema.org/>
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
SELECT ?name ?ram WHERE {{ <{NANO}> schema:name ?name ; tr:usableRamBytes ?ram }}"""
CONSTRUCT_NANO = f"CONSTRUCT {{ <{NANO}> ?p ?o }} WHERE {{ <{NANO}> ?p ?o }}"
JSON = "application/sparql-results+json"


def rows(response):
    assert response.status_code == 200, response.data
    return response.get_json(force=True)["results"]["bindings"]


def test_get_form_and_direct_post_answer_the_same(client):
    by_get = rows(client.get("/sparql", query_string={"query": SELECT_NANO}))
    by_form = rows(client.post("/sparql", data={"query": SELECT_NANO}))
    direct = rows(client.post("/sparql", data=SELECT_NANO,
                              content_type="application/sparql-query"))
    assert by_get == by_form == direct
    assert by_get[0]["name"]["value"] == "Arduino Nano 33 BLE Sense"
    assert by_get[0]["ram"] == {"type": "literal", "value": "262144",
                                "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


def test_default_graph_is_the_union_and_protocol_datasets_narrow_it(client):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.w3.org/2002/07/owl#Class> }"
    union = int(rows(client.get("/sparql", query_string={"query": count}))[0]["n"]["value"])
    assert union > 50  # the ontology graph is part of the default graph
    only_device = rows(client.get("/sparql", query_string={
        "query": count, "default-graph-uri": NANO}))
    assert only_device[0]["n"]["value"] == "0"
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    graphs = rows(client.get("/sparql", query_string=[
        ("query", named), ("named-graph-uri", NANO), ("named-graph-uri", ONTOLOGY_IRI)]))
    assert {b["g"]["value"] for b in graphs} == {NANO, ONTOLOGY_IRI}


@pytest.mark.parametrize("accept, media_type", [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv;q=0.9, text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv, text/tab-separated-values;q=0.5", "text/csv"),
    ("application/json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/html;q=0.9, application/sparql-results+xml;q=0.1", "application/sparql-results+xml"),
])
def test_select_formats_follow_accept_with_q_values(client, accept, media_type):
    response = client.get("/sparql", query_string={"query": SELECT_NANO},
                          headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


def test_select_results_parse_in_every_format(client):
    def get(accept):
        return client.get("/sparql", query_string={"query": SELECT_NANO},
                          headers={"Accept": accept}).get_data(as_text=True)
    xml = ET.fromstring(get("application/sparql-results+xml"))
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    assert xml.find(".//s:binding[@name='ram']/s:literal", ns).text == "262144"
    table = list(csv.reader(io.StringIO(get("text/csv"))))
    assert table == [["name", "ram"], ["Arduino Nano 33 BLE Sense", "262144"]]
    tsv = get("text/tab-separated-values").splitlines()
    assert tsv[0] == "?name\t?ram"
    assert tsv[1] == '"Arduino Nano 33 BLE Sense"\t"262144"^^<http://www.w3.org/2001/XMLSchema#integer>'


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
])
def test_construct_formats(client, accept, rdflib_format):
    response = client.get("/sparql", query_string={"query": CONSTRUCT_NANO},
                          headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format=rdflib_format)
    assert (rdflib.URIRef(NANO), rdflib.URIRef("https://w3id.org/tinyreg/ontology#usableRamBytes"),
            rdflib.Literal(262144)) in graph


def test_ask_and_explicit_format_parameter(client):
    response = client.get("/sparql", query_string={
        "query": f"ASK {{ <{NANO}> ?p ?o }}", "format": "xml"})
    assert response.mimetype == "application/sparql-results+xml"
    assert b"<boolean>true</boolean>" in response.data
    assert client.get("/sparql", query_string={"query": "ASK { <urn:x:none> ?p ?o }"}
                      ).get_json(force=True) == {"head": {}, "boolean": False}


def test_unacceptable_media_type_is_406_problem(client):
    response = client.get("/sparql", query_string={"query": SELECT_NANO},
                          headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.mimetype == "application/problem+json"


def test_a_bad_query_is_400_with_the_parsers_message(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    problem = response.get_json(force=True)
    assert problem["title"] == "Invalid input"
    # The parser's own words follow: Oxigraph's ("error at 1:...") or a server's.
    assert problem["detail"].startswith("invalid SPARQL query: ")
    assert "1" in problem["detail"].removeprefix("invalid SPARQL query: ")


@pytest.mark.parametrize("kwargs", [
    {"method": "GET", "query_string": {"query": ""}},
    {"method": "GET", "query_string": [("query", "ASK {}"), ("query", "ASK {}")]},
    {"method": "POST", "data": b"\xff\xfe", "content_type": "application/sparql-query"},
    {"method": "POST", "data": "ASK {}", "content_type": "text/plain"},
    {"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR ALL"}},
    {"method": "POST", "data": {"nothing": "here"}},
    {"method": "GET", "query_string": {"update": "CLEAR ALL"}},
    {"method": "GET", "query_string": {"query": "ASK {}", "default-graph-uri": "not an iri"}},
    {"method": "DELETE"},
])
def test_bad_requests_are_4xx_problems_never_500(client, kwargs):
    response = client.open("/sparql", **kwargs)
    assert 400 <= response.status_code < 500, response.data
    assert response.mimetype == "application/problem+json"
    assert set(response.get_json(force=True)) >= {"type", "title", "status", "detail"}


def test_service_is_refused_unless_federation_is_enabled(client):
    federated = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": federated})
    assert response.status_code == 403
    assert "SERVICE" in response.get_json(force=True)["detail"]
    # The word inside a literal, an IRI, a prefixed name or a comment is not the keyword.
    harmless = ('PREFIX ex: <http://example.org/SERVICE#>\n# SERVICE here is a comment\n'
                'SELECT ?s WHERE { ?s ?p "SERVICE" . ?s ex:service <http://x.org/SERVICE> }')
    assert client.get("/sparql", query_string={"query": harmless}).status_code == 200


def test_row_cap_truncates_and_says_so(loaded):
    app = make_app(loaded, sparql_max_rows=5)
    response = app.test_client().get("/sparql", query_string={
        "query": "SELECT ?s WHERE { ?s ?p ?o }"})
    assert len(rows(response)) == 5
    assert response.headers["X-Tinyreg-Truncated"] == "true"
    assert response.headers["X-Tinyreg-Row-Limit"] == "5"
    construct = app.test_client().get("/sparql", query_string={
        "query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"})
    assert len(construct.get_data(as_text=True).strip().splitlines()) == 5


def test_time_limit_answers_503_problem(loaded):
    app = make_app(loaded, sparql_timeout_ms=5, sparql_max_rows=10_000_000)
    slow = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 5000000"
    response = app.test_client().get("/sparql", query_string={"query": slow})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "5 ms" in response.get_json(force=True)["detail"]


def test_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.feature, sd.UnionDefaultGraph) in graph
    assert (None, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (None, sd.supportedLanguage, sd.SPARQL11Update) not in graph
    assert client.get("/sparql", headers={"Accept": "text/html"}).status_code == 302


def test_updates_need_the_setting_and_the_token(loaded):
    insert = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"
    closed = make_app(loaded, write_token=TOKEN).test_client()
    assert closed.post("/update", data={"update": insert}).status_code == 403
    app = make_app(loaded, write_token=TOKEN, sparql_allow_update=True)
    client = app.test_client()
    assert client.post("/update", data={"update": insert}).status_code == 401
    assert client.post("/sparql", data=insert, content_type="application/sparql-update",
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    before = loaded.store.revision()
    done = client.post("/sparql", data=insert, content_type="application/sparql-update",
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 204
    assert loaded.store.revision() > before
    assert client.get("/sparql", query_string={"query": "ASK { <urn:x:s> <urn:x:p> 1 }"}
                      ).get_json(force=True)["boolean"] is True
    load = client.post("/update", data={"update": "LOAD <http://127.0.0.1:1/x.ttl>"},
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert load.status_code == 403


def test_load_is_refused_as_the_engine_reads_it(loaded):
    with socket.socket() as listener:  # a loopback port that would see any call
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        client = make_app(loaded, write_token=TOKEN, sparql_allow_update=True).test_client()
        for update in (f"PREFIX x: <urn:\\u0041#> LOAD <http://127.0.0.1:{port}/x>",
                       f"PREFIX ex: <urn:x:> INSERT {{ ex:a ex:b ex:c }} WHERE {{ BIND(ex:a\\#b AS ?z) }} ;"
                       f" LOAD <http://127.0.0.1:{port}/x>",
                       f"PREFIX : <http://127.0.0.1:{port}/> LOADSILENT:x"):
            response = client.post("/update", data={"update": update},
                                   headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 403, response.data
            assert "LOAD is disabled" in response.get_json(force=True)["detail"]
        with pytest.raises(TimeoutError):
            listener.accept()
    assert client.get("/sparql", query_string={"query": "ASK { <urn:x:a> <urn:x:b> <urn:x:c> }"}
                      ).get_json(force=True)["boolean"] is False  # nothing of it ran


def test_cors_only_for_configured_origins(loaded):
    app = make_app(loaded, cors_origins="https://a.example")
    client = app.test_client()
    allowed = client.get("/sparql", query_string={"query": "ASK {}"},
                         headers={"Origin": "https://a.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://a.example"
    other = client.get("/sparql", query_string={"query": "ASK {}"},
                       headers={"Origin": "https://b.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/sparql", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
