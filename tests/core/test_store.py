import dataclasses
import subprocess
import sys
import threading

import pytest
import rdflib
import rdflib.compare

from tinyreg.registry import Invalid
from tinyreg.registry.store import EmbeddedStore, IRI, changelog
from tinyreg.registry.store.base import revision_update_text
from tinyreg.registry.vocab import META_GRAPH

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
    # Counted by the store as listed, the store's own bookkeeping left out.
    assert store.graph_count() == 25 == store.graph_count("http://example.org/g")
    assert store.graph_count("http://example.org/g1") == len(store.graph_names("http://example.org/g1")) == 11
    assert store.graph_count("urn:") == 0


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


# ---------------------------------------------------------------- the change log

def _ntriples(name: str, value: str = "x") -> str:
    return f'<{name}> <http://example.org/p> "{value}" .\n'


def test_the_change_log_names_the_graphs_each_write_changed(store):
    start = store.change_mark()
    assert start.revision == store.revision() == 0
    store.put_graph("http://example.org/a", _ntriples("http://example.org/a"))
    store.put_graphs({"http://example.org/b": _graph(2), "http://example.org/c": ""})
    store.delete_graph("http://example.org/a")
    store.bulk_load([("http://example.org/d", _ntriples("http://example.org/d")),
                     ("http://example.org/e", _ntriples("http://example.org/e"))])
    changes = store.changes_since(start)
    assert changes.graphs == {f"http://example.org/{g}" for g in "abcde"}
    assert changes.under == frozenset() and not changes.everything
    assert changes.mark.revision == store.revision() > 0
    # Nothing written since: nothing to refresh.
    assert store.changes_since(changes.mark) == dataclasses.replace(
        changes, graphs=frozenset(), under=frozenset())

    # The registry's own targeted updates say what they touch, namespaces included.
    mark = changes.mark
    store.update_graphs('INSERT DATA { GRAPH <http://example.org/dep/1> { '
                        '<http://example.org/dep/1> <http://example.org/p> "on" } }',
                        ["http://example.org/dep/1"], under=["http://example.org/dep/"])
    changes = store.changes_since(mark)
    assert changes.graphs == {"http://example.org/dep/1"} and changes.under == {"http://example.org/dep/"}
    assert changes.touches("http://example.org/dep/7") and not changes.touches("http://example.org/b")
    assert len(store.get_graph("http://example.org/dep/1")) == 1

    # An update that cannot say what it changed (a user's SPARQL Update) changes everything.
    mark = changes.mark
    store.update('INSERT DATA { GRAPH <http://example.org/u> { <http://example.org/u> '
                 '<http://example.org/p> "u" } } ;\n' + revision_update_text())
    assert store.changes_since(mark).everything


def test_a_write_that_fails_leaves_no_entry(store):
    store.put_graph("http://example.org/a", _graph(2))
    mark = store.change_mark()
    with pytest.raises(Invalid):
        store.put_graphs({"http://example.org/b": _graph(1),
                          "http://example.org/a": '<http://example.org/a> <http://example.org/p> "cut'})
    assert store.changes_since(mark).graphs == frozenset() and store.change_mark() == mark


def test_the_change_log_keeps_its_newest_entries_and_says_when_it_no_longer_reaches_back(
        store, monkeypatch):
    monkeypatch.setattr(changelog, "LOG_ENTRIES", 4)
    first = store.change_mark()
    for i in range(3):
        store.put_graph(f"http://example.org/g{i}", _graph(1, str(i)))
    middle = store.change_mark()
    assert store.changes_since(first).graphs == {f"http://example.org/g{i}" for i in range(3)}
    for i in range(3, 7):
        store.put_graph(f"http://example.org/g{i}", _graph(1, str(i)))
    # Seven writes, four entries kept: the first mark is out of reach, a recent one is not.
    assert store.changes_since(first) is None
    assert store.changes_since(middle).graphs == {f"http://example.org/g{i}" for i in range(3, 7)}
    entries = store.select(f"SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{META_GRAPH}> "
                           f"{{ ?c <urn:tinyreg:log:number> ?k }} }}")
    assert entries == [{"n": 4}]


def test_a_write_of_many_graphs_is_logged_by_their_namespaces(store, monkeypatch):
    monkeypatch.setattr(changelog, "MAX_NAMED", 3)
    mark = store.change_mark()
    store.put_graphs({**{f"http://example.org/many/{i}": _graph(1) for i in range(5)},
                      "http://example.org/one": _graph(1)})
    changes = store.changes_since(mark)
    assert changes.graphs == frozenset()
    assert changes.under == {"http://example.org/many/", "http://example.org/"}
    assert all(changes.touches(f"http://example.org/many/{i}") for i in range(5))


def test_writes_from_several_threads_are_all_in_the_log(store):
    # On a server each thread counts on a counter of its own (remote.py): every step of
    # every counter has its entry.
    mark = store.change_mark()

    def write(t):
        for i in range(5):
            store.put_graph(f"http://example.org/t{t}/{i}", _graph(1, f"{t}-{i}"))
    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    changes = store.changes_since(mark)
    assert changes.graphs == {f"http://example.org/t{t}/{i}" for t in range(4) for i in range(5)}
    assert changes.mark.revision == store.revision() == mark.revision + 20


@pytest.mark.stores("embedded")  # Oxigraph's bulk loader is the embedded store's own
def test_the_bulk_loader_logs_the_graphs_it_wrote(store):
    mark = store.change_mark()
    store.load_new_graphs([("http://example.org/n1", _ntriples("http://example.org/n1")),
                           ("http://example.org/n2", _ntriples("http://example.org/n2"))])
    changes = store.changes_since(mark)
    assert changes.graphs == {"http://example.org/n1", "http://example.org/n2"}
    assert changes.mark.revision == store.revision()
