"""The remote store on a real `oxigraph serve`: what only a store behind HTTP has to get right.

Everything the two stores share (queries, bindings, graph writes, bulk loads, the registry
on top) runs on both through the parametrized fixtures in tests/conftest.py; these tests
pin what is particular to a server: writes that take several requests, servers that do not
run a request as one transaction, endpoints and their quirks, several writing processes.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time

import pytest
import rdflib
import rdflib.compare

from tinyreg.registry import Invalid, Registry, load_settings
from tinyreg.registry.errors import TooLarge, Unavailable
from tinyreg.registry.store.remote import RemoteStore
from tinyreg.registry.store.staging import STAGING_GRAPH_PREFIX

from ..conftest import open_remote
from .conftest import without_atomic_updates

EX = rdflib.Namespace("http://example.org/")
TR = rdflib.Namespace("https://w3id.org/tinyreg/ontology#")
DEV = "https://w3id.org/tinyreg/id/device/test-board"
ALL_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
TAGS = ("SELECT ?tag (COUNT(*) AS ?n) WHERE { ?s <http://example.org/tag> ?tag } "
        "GROUP BY ?tag")


def device(tag: str, facts: int, ram: int = 262144) -> rdflib.Graph:
    """A device graph: a board with a RAM figure, a sensor (a blank node) and tagged facts."""
    g = rdflib.Graph()
    d = rdflib.URIRef(DEV)
    sensor = rdflib.BNode()
    g.add((d, rdflib.RDF.type, TR.MicrocontrollerBoard))
    g.add((d, TR.ramBytes, rdflib.Literal(ram)))
    g.add((d, TR.hasSensor, sensor))
    g.add((sensor, rdflib.RDF.type, TR.PDMMicrophone))
    for i in range(facts):
        g.add((EX[f"fact{i}"], EX.tag, rdflib.Literal(tag)))
    return g


def staging_graphs(server_store: RemoteStore) -> list[str]:
    return [row["g"] for row in server_store.select(ALL_GRAPHS)
            if row["g"].startswith(STAGING_GRAPH_PREFIX)]


def test_a_staged_write_is_invisible_until_the_switch(remote, server, monkeypatch):
    old, new = device("old", 20, ram=1000), device("new", 30, ram=2000)
    remote.put_graph(DEV, old)
    without_atomic_updates(remote)
    reader = open_remote(server.settings)
    seen = {}
    switch = remote._send_ops

    def look_then_switch(ops, what):
        if what == "graph switch":  # the new graph is on the server, under other names
            seen["ram"] = reader.select(
                "SELECT ?ram WHERE { ?d a <https://w3id.org/tinyreg/ontology#MicrocontrollerBoard> ;"
                " <https://w3id.org/tinyreg/ontology#ramBytes> ?ram }")
            seen["graph"] = reader.get_graph(DEV)
            seen["names"] = reader.graph_names()
            seen["staged"] = staging_graphs(reader)
            seen["revision"] = reader.revision()
        switch(ops, what)

    monkeypatch.setattr(remote, "_send_ops", look_then_switch)
    remote.put_graph(DEV, new)

    assert seen["staged"], "the new graph should have been staged before the switch"
    assert seen["ram"] == [{"ram": 1000}]
    assert rdflib.compare.isomorphic(seen["graph"], old)
    assert seen["names"] == [DEV] and seen["revision"] == 1
    assert rdflib.compare.isomorphic(reader.get_graph(DEV), new)
    assert staging_graphs(reader) == [] and reader.revision() == 2


@pytest.mark.parametrize("atomic", [True, False], ids=["in-place", "staged"])
def test_readers_see_the_old_graph_or_the_new_never_a_mixture(remote, server, atomic):
    a, b = device("a", 40), device("b", 60)
    remote.put_graph(DEV, a)
    if not atomic:
        without_atomic_updates(remote)
    observed: list[frozenset] = []
    stop = threading.Event()

    def read():
        reader = open_remote(server.settings)
        while not stop.is_set():
            observed.append(frozenset((r["tag"], r["n"]) for r in reader.select(TAGS)))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for i in range(12):
            # Let the reader look between every two writes, so that it meets both versions.
            before, deadline = len(observed), time.monotonic() + 10
            while len(observed) == before and time.monotonic() < deadline:
                time.sleep(0.001)
            remote.put_graph(DEV, b if i % 2 == 0 else a)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert set(observed) == {frozenset({("a", 40)}), frozenset({("b", 60)})}
    assert staging_graphs(remote) == []


def test_a_graph_too_big_for_one_request_goes_through_the_graph_store(remote):
    remote.max_request_bytes = 4000
    big = device("big", 300)
    remote.put_graph(DEV, big)
    assert rdflib.compare.isomorphic(remote.get_graph(DEV), big)
    assert staging_graphs(remote) == [] and remote.revision() == 1

    # A bulk load takes as many requests as the limit needs, every graph whole.
    text = '<http://example.org/d> <http://example.org/has> _:b0 .\n_:b0 <http://example.org/p> "x" .\n'
    count = remote.bulk_load((f"http://example.org/g{i}", text) for i in range(120))
    assert count == 120 and len(remote.graph_names()) == 121
    rows = remote.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?d <http://example.org/has> ?b }")
    assert rows == [{"n": 120}]
    assert remote.revision() > 2  # several requests, each counted


@pytest.mark.stores("oxigraph")  # a server that runs one request as one transaction
def test_a_bulk_load_over_the_limit_is_split_in_place_not_staged(remote, monkeypatch):
    # Names in Japanese: three bytes a character, so the load's estimate (in characters) falls
    # short of the request's size and batches must be split again as they are sent.
    remote.max_request_bytes = 8000
    sent = []
    send = remote._send_update
    monkeypatch.setattr(remote, "_send_update", lambda text, what="update": (
        sent.append((what, len(text.encode()))), send(text, what)))
    name = "温度と振動のセンサー" * 30
    graphs = [(f"http://example.org/jp{i}",
               f'<http://example.org/jp{i}> <https://schema.org/name> "{name} {i}" .\n')
              for i in range(40)]
    assert remote.bulk_load(graphs) == 40
    assert {what for what, _ in sent} == {"graph write"}
    assert len(sent) > 40 * len(graphs[0][1].encode()) // 8000
    assert all(size <= 8000 for _, size in sent)
    rows = remote.select("SELECT ?d ?n WHERE { ?d <https://schema.org/name> ?n }")
    assert sorted(row["n"] for row in rows) == sorted(f"{name} {i}" for i in range(40))
    assert staging_graphs(remote) == []


def test_a_write_that_cannot_be_sent_leaves_the_old_graphs_and_no_copies(remote, monkeypatch):
    first, second = "http://example.org/first", "http://example.org/second"
    remote.put_graphs({first: device("one", 5), second: device("two", 5)})
    revision = remote.revision()
    # Room for one staged graph per request; the last graph fits in none, and without a
    # Graph Store endpoint it cannot be sent at all.
    remote.max_request_bytes = 6000
    remote.endpoints = dataclasses.replace(remote.endpoints, gsp=None)
    sent = []
    send = remote._send_update
    monkeypatch.setattr(remote, "_send_update", lambda text, what="update": (
        sent.append(what), send(text, what)))
    with pytest.raises(TooLarge, match="store_max_request_bytes"):
        remote.put_graphs({first: device("new-one", 20), second: device("new-two", 20),
                           DEV: device("huge", 400)})
    assert sent[0] == "staged graph write" and sent[-1] == "staging clean-up"
    assert rdflib.compare.isomorphic(remote.get_graph(first), device("one", 5))
    assert rdflib.compare.isomorphic(remote.get_graph(second), device("two", 5))
    assert not remote.has_graph(DEV)
    assert staging_graphs(remote) == [] and remote.revision() == revision


def test_an_update_counts_as_a_write_and_a_refused_one_writes_nothing(remote):
    remote.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> "
                  "<http://example.org/p> 1 } } ;")
    assert remote.revision() == 1 and remote.graph_names() == ["http://example.org/g"]
    with pytest.raises(Invalid, match="refused the update"):
        remote.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/b> } }")
    assert remote.revision() == 1
    with pytest.raises(Invalid, match="invalid SPARQL query"):
        remote.select("SELECT ?x WHERE { ?x ")
    with pytest.raises(Invalid, match="not a query"):
        remote.select("DELETE WHERE { ?s ?p ?o }")
    assert remote.revision() == 1


_WRITER = """
import json, sys, rdflib
from tinyreg.registry import load_settings
from tinyreg.registry.store.remote import RemoteStore
store = RemoteStore.from_settings(load_settings(environ={}, **json.loads(sys.argv[1])))
for i in range(int(sys.argv[3])):
    g = rdflib.Graph()
    g.add((rdflib.URIRef("http://example.org/s"), rdflib.URIRef("http://example.org/n"), rdflib.Literal(i)))
    store.put_graph(f"http://example.org/{sys.argv[2]}/{i}", g)
"""


def test_writers_in_several_processes_each_move_the_revision(server, remote):
    # Oxigraph runs concurrent updates of one triple side by side and keeps one of them:
    # a single shared counter would lose increments, and two processes would then hold
    # different contents under one revision. Each writer counts on its own counter.
    writes = 25
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, json.dumps(server.settings), name, str(writes)])
             for name in ("a", "b", "c")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert len(remote.graph_names()) == 3 * writes
    assert remote.revision() == 3 * writes


def test_writers_in_several_threads_each_move_the_revision(store):
    # The same on both stores: a web server writes from several threads at once.
    def write(tag: str) -> None:
        for i in range(40):
            store.put_graph(f"http://example.org/{tag}/{i}", device(tag, 1))

    threads = [threading.Thread(target=write, args=(tag,)) for tag in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(store.graph_names()) == 160 and store.revision() == 160


def test_a_server_that_does_not_query_the_union_is_named(oxigraph_server):
    # The test server runs without --union-default-graph; the generic profile does not ask
    # for the union, so its default graph is the server's own, empty one.
    server = oxigraph_server
    server.clear()
    generic = RemoteStore(server.query_url, server.update_url, profile="generic")
    generic.put_graph(DEV, device("x", 3))
    with pytest.raises(Unavailable, match="union of its named graphs"):
        generic.revision()
    assert open_remote(server.settings).revision() == 1


@pytest.mark.parametrize("profile,query,update,gsp", [
    ("oxigraph", "http://db:7878/query", "http://db:7878/update", "http://db:7878/store"),
    ("fuseki", "http://db:3030/reg/sparql", "http://db:3030/reg/update", "http://db:3030/reg/data"),
    ("graphdb", "http://db:7200/repositories/reg", "http://db:7200/repositories/reg/statements",
     "http://db:7200/repositories/reg/rdf-graphs/service"),
    ("virtuoso", "http://db:8890/sparql-auth", "http://db:8890/sparql-auth",
     "http://db:8890/sparql-graph-crud-auth"),
    ("neptune", "https://db:8182/sparql", "https://db:8182/sparql", None),
])
def test_each_profile_finds_the_update_and_graph_store_endpoints(profile, query, update, gsp):
    store = RemoteStore.from_settings(load_settings(environ={}, store_url=query,
                                                    store_profile=profile))
    assert (store.endpoints.update, store.endpoints.gsp) == (update, gsp)
    given = RemoteStore.from_settings(load_settings(
        environ={}, store_url=query, store_profile=profile,
        store_update_url="http://other/u", store_gsp_url="http://other/g"))
    assert (given.endpoints.update, given.endpoints.gsp) == ("http://other/u", "http://other/g")


@pytest.mark.parametrize("settings,message", [
    ({"store_url": "http://db/query", "store_profile": "blazing"}, "store_profile"),
    ({"store_url": "http://db/sparql", "store_profile": "generic"}, "store_update_url"),
    ({"store_url": "db.example:7878/query"}, "store_url"),
])
def test_bad_store_settings_name_the_setting_before_any_request(tmp_path, settings, message):
    with pytest.raises(Invalid, match=message):
        Registry(load_settings(environ={}, data_dir=str(tmp_path), **settings))


def test_cli_names_an_unreachable_server_in_one_line(tmp_path, runner):
    from tinyreg.web.cli import cli

    from .server import free_port
    url = f"http://127.0.0.1:{free_port()}/query"
    result = runner.invoke(cli, ["stats"], env={"TINYREG_STORE_URL": url})
    assert result.exit_code == 3
    assert result.output.strip().count("\n") == 0
    assert "cannot reach the SPARQL server" in result.output and url in result.output
    result = runner.invoke(cli, ["stats"], env={"TINYREG_STORE_URL": url,
                                                 "TINYREG_STORE_PROFILE": "blazing"})
    assert result.exit_code == 2 and "store_profile" in result.output


OWL_LIKE = """<https://w3id.org/tinyreg/ontology#Board> <http://www.w3.org/2000/01/rdf-schema#subClassOf> _:r .
_:r <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Restriction> .
_:r <http://www.w3.org/2002/07/owl#onProperty> <https://w3id.org/tinyreg/ontology#ramBytes> .
_:r <http://www.w3.org/2002/07/owl#someValuesFrom> _:d .
_:d <http://www.w3.org/2002/07/owl#oneOf> "x" .
<coap://[2001:db8::1]/sensor> <https://www.w3.org/2019/wot/td#title> "an IPv6 host" .
"""


def test_a_staged_write_keeps_blank_node_subjects_and_iris_with_brackets(remote):
    # Virtuoso's isIRI() is true for a blank node in subject position: a switch that renamed
    # every "IRI" lost such triples. "[" is no IRI character once a host becomes a path.
    without_atomic_updates(remote)
    expected = rdflib.Graph().parse(data=OWL_LIKE, format="nt")
    remote.put_graph("https://w3id.org/tinyreg/ontology", OWL_LIKE)
    back = remote.get_graph("https://w3id.org/tinyreg/ontology")
    assert len(back) == 6 and rdflib.compare.isomorphic(back, expected)
    assert staging_graphs(remote) == []


def test_a_failed_switch_drops_the_staged_copies_and_keeps_the_old_graph(remote, monkeypatch):
    without_atomic_updates(remote)
    remote.put_graph(DEV, device("old", 5))
    send = remote._send_update

    def refuse_switch(text, what="update"):
        if what == "graph switch":
            raise Unavailable("the server went away")
        return send(text, what)

    monkeypatch.setattr(remote, "_send_update", refuse_switch)
    with pytest.raises(Unavailable, match="went away"):
        remote.put_graph(DEV, device("new", 9))
    monkeypatch.undo()
    assert rdflib.compare.isomorphic(remote.get_graph(DEV), device("old", 5))
    assert staging_graphs(remote) == []


def test_switches_go_in_requests_the_server_takes(remote, monkeypatch):
    without_atomic_updates(remote)
    sent = []
    send = remote._send_update
    # Per request: graphs switched, staged triples inserted, staged copies dropped.
    monkeypatch.setattr(remote, "_send_update", lambda text, what="update": (
        sent.append((what, text.count("UNION { GRAPH <urn:tinyreg:staging:"), text.count("INSERT"),
                     text.count("DROP SILENT GRAPH <urn:tinyreg:staging:"))),
        send(text, what)))
    graphs = {f"https://w3id.org/tinyreg/id/device/many-{i}": device(str(i), 1) for i in range(250)}
    remote.put_graphs(graphs)
    switches = [(switched, drops) for what, switched, _, drops in sent if what == "graph switch"]
    per_request = remote.profile.switches_per_request or 250
    assert sum(switched for switched, _ in switches) == 250
    assert all(0 < switched <= per_request and drops == switched for switched, drops in switches)
    assert len(switches) == -(-250 // per_request)
    # The staged triples (a blank node in each graph) went in operations of many graphs each:
    # one INSERT DATA, and templates of about 100 triples, not two operations a graph.
    staged = [inserts for what, _, inserts, _ in sent if what == "staged graph write"]
    assert 0 < sum(staged) <= 1 + 2 * 250 // 100 + len(staged)
    assert len(remote.graph_names(under="https://w3id.org/tinyreg/id/device/many-")) == 250
    assert staging_graphs(remote) == [] and remote.revision() == len(switches)


def test_a_write_whose_counter_did_not_move_fails_loudly(remote, monkeypatch):
    # As on a server that runs the counter's step its own way and finds no solution for it
    # (Virtuoso did so for OPTIONAL {no match} BIND(COALESCE(?r + 1, 1) ...)): the write is
    # refused with the reason, never silently left uncounted for every cache to miss.
    import tinyreg.registry.store.remote as remote_module
    monkeypatch.setattr(remote_module, "revision_update_text",
                        lambda *args, **kwargs: "INSERT DATA { GRAPH <urn:tinyreg:other> "
                                                "{ <urn:tinyreg:a> <urn:tinyreg:b> 1 } }")
    with pytest.raises(Unavailable, match=r"revision counter reads \[\] instead of \[1\]"):
        remote.put_graph(DEV, device("x", 2))


def test_a_graph_loaded_twice_in_one_staged_load_keeps_the_later_and_no_staging(remote):
    without_atomic_updates(remote)
    first, later = device("first", 2), device("later", 3)
    assert remote.bulk_load([(DEV, first), (DEV, later)]) == 2
    assert rdflib.compare.isomorphic(remote.get_graph(DEV), later)
    assert staging_graphs(remote) == []
