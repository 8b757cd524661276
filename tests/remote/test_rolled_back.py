"""An update the server rolled back (a deadlock between writers) is sent again; no other
failure is, and no server but the one whose profile names the rollback gets a second try.

A loopback server stands in for the SPARQL server so that the deadlock happens on cue: a
real Virtuoso deadlocks only when writers meet (tests/remote/test_remote_store.py runs
three of them against one)."""
from __future__ import annotations

import http.server
import json

import pytest

from tinyreg.registry.errors import Unavailable
from tinyreg.registry.store.remote import RemoteStore

from .server import loopback

DEADLOCK = (b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\nSPARQL query:\n"
            b"DELETE { GRAPH <urn:x> { ?s ?p ?o } } ...")
BROKEN = b"Virtuoso 42000 Error SP030: SPARQL compiler, line 1: syntax error"


@pytest.fixture
def server():
    """Answers updates with the queued failures first, then 204; counter queries with the
    number of updates that succeeded, as a server keeping the counter would."""
    state = {"failures": [], "updates": [], "applied": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Type", "").startswith("application/sparql-update"):
                state["updates"].append(body)
                if state["failures"]:
                    self._answer(500, "text/plain", state["failures"].pop(0))
                else:
                    state["applied"] += 1
                    self._answer(204, "text/plain", b"")
                return
            answer = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {
                "type": "literal", "value": str(state["applied"]),
                "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}
            self._answer(200, "application/sparql-results+json", json.dumps(answer).encode())

        def _answer(self, status, media_type, body):
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with loopback(Handler) as base:
        yield base + "/sparql", state


UPDATE = "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"


def test_a_deadlocked_update_is_sent_again_as_it_was(server):
    url, state = server
    state["failures"] = [DEADLOCK, DEADLOCK]
    RemoteStore(url, profile="virtuoso").update(UPDATE)
    assert len(state["updates"]) == 3
    assert state["updates"][0] == state["updates"][1] == state["updates"][2]
    assert state["applied"] == 1


def test_a_request_that_keeps_deadlocking_fails_with_the_servers_words(server):
    url, state = server
    state["failures"] = [DEADLOCK] * 20
    with pytest.raises(Unavailable, match="SR172: Transaction deadlocked"):
        RemoteStore(url, profile="virtuoso").update(UPDATE)
    assert len(state["updates"]) == 7  # the first try and six more
    assert state["applied"] == 0


@pytest.mark.parametrize("profile, failure", [("virtuoso", BROKEN), ("oxigraph", DEADLOCK)])
def test_other_failures_and_other_servers_get_no_second_try(server, profile, failure):
    url, state = server
    state["failures"] = [failure]
    update_url = url if profile == "virtuoso" else url + "/update"
    with pytest.raises(Unavailable):
        RemoteStore(url, update_url, profile=profile).update(UPDATE)
    assert len(state["updates"]) == 1
