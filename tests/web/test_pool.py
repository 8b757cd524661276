"""The query worker pool (web/sparql/pool.py) over a real embedded store: workers that
answer, fail and are killed; writes seen after a revision changes; no network in a worker.

These tests hand text to the pool directly, past the text checks of the endpoint, to show
what the process boundary holds by itself.
"""
from __future__ import annotations

import gc
import os
import socket
import threading

import pytest

from tinyreg.registry import Invalid, Unavailable
from tinyreg.registry.store import EmbeddedStore
from tinyreg.web.sparql.evaluate import Request
from tinyreg.web.sparql.pool import WorkerPool

HEAVY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
INTEGER = "<http://www.w3.org/2001/XMLSchema#integer>"


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    store.put_graph("urn:x:g", "".join(f'<urn:x:s{i}> <urn:x:p> "{i}"^^{INTEGER} .\n'
                                         for i in range(300)))
    yield store
    store.close()


def make_pool(store, size=1, isolate=True) -> WorkerPool:
    return WorkerPool(store, size=size, memory_mb=256, isolate=isolate, prefixes={})


def ask(pool, text, timeout_ms=20_000):
    return pool.run(Request(text, formats={"results": "json", "graph": "ntriples"}),
                    timeout_ms=timeout_ms)


def alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def test_a_query_that_fails_keeps_its_worker(store):
    pool = make_pool(store)
    try:
        assert ask(pool, "ASK { ?s ?p 7 }").body == b'{"head": {}, "boolean": true}'
        first = pool.pids
        with pytest.raises(Invalid, match="invalid SPARQL query"):
            ask(pool, "SELECT ?x WHERE { ?x ?y }")
        answer = ask(pool, "SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 2")
        assert (answer.kind, answer.rows, answer.truncated) == ("select", 2, False)
        assert pool.pids == first
    finally:
        pool.close()


def test_the_deadline_kills_and_reaps_the_worker(store):
    pool = make_pool(store)
    try:
        ask(pool, "ASK {}")
        [pid] = pool.pids
        with pytest.raises(Unavailable, match="limit of 300 ms"):
            ask(pool, HEAVY, timeout_ms=300)
        assert not alive(pid)  # gone (and reaped) before the request was answered
        assert ask(pool, "ASK { ?s ?p 7 }").rows == 0
        assert pool.pids and pool.pids != [pid]
    finally:
        pool.close()


def test_writes_are_seen_by_the_next_query(store):
    pool = make_pool(store, size=2)
    try:
        pool.warm()
        assert ask(pool, "ASK { <urn:x:new> ?p ?o }").body.endswith(b"false}")
        store.put_graph("urn:x:h", "<urn:x:new> <urn:x:p> <urn:x:o> .\n")  # a new revision
        for _ in range(2):  # each worker opens the store again
            assert ask(pool, "ASK { <urn:x:new> ?p ?o }").body.endswith(b"true}")
    finally:
        pool.close()


def test_the_engine_running_out_of_stack_is_a_400_and_the_pool_goes_on(store):
    pool = make_pool(store)
    try:
        with pytest.raises(Invalid, match="ran out of stack"):
            ask(pool, "SELECT * " + "{" * 5000 + "}" * 5000)
        assert ask(pool, "ASK { ?s ?p 7 }").body.endswith(b"true}")
    finally:
        pool.close()


@pytest.fixture
def listener():
    """A loopback port that counts connections (and closes each)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    seen = []

    def accept():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            seen.append(1)
            conn.close()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], seen
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    thread.join(timeout=5)


def test_a_worker_without_network_cannot_call_out(store, listener):
    port, seen = listener
    service = f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"
    pool = make_pool(store, isolate=True)
    try:
        pool.warm()
        if pool._idle[0].isolation is not None:
            pytest.skip(f"this kernel keeps the worker on the network: {pool._idle[0].isolation}")
        with pytest.raises(Unavailable, match="unreachable"):
            ask(pool, service)
        assert seen == []
    finally:
        pool.close()
    federated = make_pool(store, isolate=False)  # with federation on, the call is made
    try:
        with pytest.raises(Unavailable, match="the query failed"):
            ask(federated, service)
        assert seen
    finally:
        federated.close()


def test_a_pool_dropped_without_closing_leaves_no_process(store):
    pool = make_pool(store, size=2)
    pool.warm()
    pids = pool.pids
    assert len(pids) == 2 and all(map(alive, pids))
    del pool
    gc.collect()
    assert not any(map(alive, pids))


@pytest.mark.parametrize("script, said", [
    ("exit 1", "it ended with exit status 1"),
    ("sleep 20", "no greeting within 0.5 s"),
])
def test_a_worker_that_does_not_start_says_how(store, tmp_path, monkeypatch, script, said):
    import tinyreg.web.sparql.pool as pool_module
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n{script}\n")
    python.chmod(0o755)
    monkeypatch.setattr(pool_module.sys, "executable", str(python))
    monkeypatch.setattr(pool_module, "START_TIMEOUT_S", 0.5)
    pool = make_pool(store)
    try:
        with pytest.raises(Unavailable, match=f"a query worker did not start \\({said}\\)"):
            ask(pool, "ASK { ?s ?p 7 }")
        assert not pool.pids  # the one that did not start is not kept
    finally:
        pool.close()
