import subprocess
import sys

import pytest
import rdflib
import rdflib.compare

from tinyreg.registry import Invalid
from tinyreg.registry.store import EmbeddedStore, IRI

EX = rdflib.Namespace("http://example.org/")


def _graph(n, tag="v"):
    g = rdflib.Graph()
    for i in range(n):
        g.add((EX[f"s{i}"], EX.p, rdflib.Literal(f"{tag}{i}")))
    g.add((EX.s0, EX.node, rdflib.BNode()))
    return g


def test_round_trip_survives_a_process_restart(tmp_path):
    # Embedded only: it reopens the store's directory in a new process. A remote server
    # keeps its data whatever happens to the registry's processes.
    path = tmp_path / "store"
    writer = (
        "import rdflib; from tinyreg.registry.store import EmbeddedStore\n"
        f"s = EmbeddedStore({str(path)!r})\n"
        "g = rdflib.Graph(); g.add((rdflib.URIRef('http://example.org/a'), "
        "rdflib.URIRef('http://example.org/p'), rdflib.Literal(42)))\n"
        "s.put_graph('http://example.org/g', g); s.close()\n"
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
    store = EmbeddedStore(path)
    rows = store.select("SELECT ?o WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }")
    assert rows == [{"o": 42}]
    assert store.revision() == 1
    store.close()


def test_replacing_a_graph_is_atomic_when_the_new_graph_fails(store):
    old = _graph(50, "old")
    store.put_graph(str(EX.g1), old)
    store.put_graph(str(EX.g2), _graph(3, "other"))
    revision = store.revision()

    # The second graph of the transaction is not valid N-Triples: nothing may be written,
    # neither the first replacement nor the second.
    with pytest.raises(Invalid):
        store.put_graphs({str(EX.g2): _graph(5, "new"),
                          str(EX.g1): "<http://example.org/a> <http://example.org/p> \"unterminated ."})
    assert rdflib.compare.isomorphic(store.get_graph(str(EX.g1)), old)
    assert len(store.get_graph(str(EX.g2))) == 4
    assert store.revision() == revision

    # A graph whose construction fails half-way never reaches the store either.
    def broken():
        yield str(EX.g1), _graph(10, "half")
        raise RuntimeError("importer crashed")
    with pytest.raises(RuntimeError):
        with store.transaction() as txn:
            for name, g in broken():
                txn.put_graph(name, g)
    assert rdflib.compare.isomorphic(store.get_graph(str(EX.g1)), old)


def test_replace_and_delete_bump_the_revision(store):
    assert store.revision() == 0
    store.put_graph(str(EX.g), _graph(3))
    store.put_graph(str(EX.g), _graph(2, "b"))
    assert store.revision() == 2
    assert len(store.get_graph(str(EX.g))) == 3  # 2 + the blank-node triple, old triples gone
    store.delete_graph(str(EX.g))
    assert store.revision() == 3 and not store.has_graph(str(EX.g))
    assert store.graph_names() == []


def test_bound_values_cannot_change_the_query(store):
    store.put_graph(str(EX.g), _graph(3))
    rows = store.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o }", {"s": IRI(EX.s1)})
    assert rows == [{"o": "v1"}]
    # A literal that looks like query text stays a literal.
    sneaky = '" } ?s ?p ?o { "'
    assert store.select("SELECT ?s WHERE { ?s <http://example.org/p> ?o }", {"o": sneaky}) == []
    with pytest.raises(Invalid):
        store.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": IRI("http://x/> } ; DROP ALL ; <")})
    with pytest.raises(Invalid):
        store.select("SELECT ?o WHERE { ?s ?p ?o }", {"s o": 1})


def test_bad_graph_names_are_refused(store):
    for name in ("", "no-scheme", "http://x/a> <b", "http://x/{}"):
        with pytest.raises(Invalid):
            store.put_graph(name, _graph(1))


def test_bulk_load_writes_every_graph_in_batches(store):
    count = store.bulk_load(((f"http://example.org/g{i}", _graph(2, str(i))) for i in range(25)),
                            batch=10)
    assert count == 25 and len(store.graph_names()) == 25
    assert store.revision() == 3


def test_bulk_load_replaces_existing_graphs_whole_and_keeps_blank_nodes_apart(store):
    store.put_graph("http://example.org/g0", _graph(9, "old"))
    text = '<http://example.org/d> <http://example.org/has> _:b0 .\n_:b0 <http://example.org/p> "x" .\n'
    store.bulk_load([("http://example.org/g0", _graph(1, "new")),
                     ("http://example.org/g1", text), ("http://example.org/g2", text)])
    assert len(store.get_graph("http://example.org/g0")) == 2
    # The same label `_:b0` in two documents is two different blank nodes.
    rows = store.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?d <http://example.org/has> ?b }")
    assert rows == [{"n": 2}]
    with pytest.raises(Invalid):
        store.bulk_load([("http://example.org/g3", '<http://example.org/a> <http://example.org/p> "x')])
    assert not store.has_graph("http://example.org/g3")
