"""registry/querytext.py against the engine itself.

A loopback listener records every connection. For a generated corpus of queries and updates
(fixed seed) that put SERVICE or LOAD after all kinds of tokens, glued or spaced, with
every way of naming the remote IRI, pyoxigraph runs each one in this process: whenever the
engine connects, the check must have refused the text. A second corpus holds the keywords
only where the engine does not read them as keywords (strings, IRIs with escapes, comments,
variables, local names with `\\#`): the engine must parse each one and the check must let
it through.
"""
from __future__ import annotations

import http.server
import itertools
import random
import threading

import pyoxigraph as ox
import pytest

from tinyreg.registry import Invalid, TooLarge, querytext

# Objects of the store's triples, so that each fragment below has a solution and the
# engine goes on to evaluate what follows it.
OBJECTS = ['1', '1.5', 'true', '"x"', '"x"@en', '<urn:ex:a>', '<urn:ex:a#b>', '<urn:A#>',
           '"a\'b"', '"a\\"b"']
BEFORE = ["", "?s ?p ?o .", "?s ?p ?o", "?s ?p ?o.", "BIND(1 AS ?x)", "FILTER(true)", "{}",
          "OPTIONAL { ?s ?p ?o }", "MINUS { ?s ?p 2 }", "VALUES ?v { 1 }", "?s ?p 1", "?s ?p 1.5",
          "?s ?p true", '?s ?p "x"', '?s ?p "x"@en', "?s ?p ex:a", "?s ?p ex:a\\#b",
          "?s ?p <urn:\\u0041#>", "?s ?p '''a'b'''", '?s ?p "a\\"b"', '?s ?p "a\\u0022b"',
          "?s ?p ex:", "?s ?p ?o ; ?p ?o", "GRAPH ?g { ?s ?p ?o }",
          "?s ?p ex:a\\#b # a comment after an escaped #\n"]
GLUE = ["", " ", "\n", "\t", "#c\n"]
KEYWORDS = ["SERVICE", "service", "SerVice", "SERVICE SILENT", "SERVICESILENT", "SERVICE\tsilent"]
UPDATES_BEFORE = ["", "CLEAR ALL ;", "CLEAR SILENT ALL;", "INSERT DATA { ex:a ex:b ex:c } ;",
                  "DELETE WHERE { ?s ex:none ?o } ;", "CLEAR GRAPH <urn:\\u0041#> ;"]
LOADS = ["LOAD", "load", "LOAD SILENT", "LOADSILENT"]


@pytest.fixture(scope="module")
def listener():
    """A loopback SPARQL endpoint that answers every request with no solutions and counts
    the connections made to it."""
    class Server(http.server.ThreadingHTTPServer):
        connections = 0

        def verify_request(self, request, client_address):
            Server.connections += 1
            return True

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


def prologue(port: int) -> str:
    return (f"PREFIX : <http://127.0.0.1:{port}/> PREFIX svc: <http://127.0.0.1:{port}/>\n"
            f"PREFIX ex: <urn:ex:>\n")


def remote_iris(port: int) -> list[str]:
    return [f"<http://127.0.0.1:{port}/s>", ":s", "svc:s", f"<http://127.0.0.1:{port}/\\u0073>"]


def engine_store() -> ox.Store:
    store = ox.Store()
    for text in OBJECTS:
        obj = next(iter(store.query(f"SELECT ?o {{ BIND({text} AS ?o) }}")))["o"]
        store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), obj,
                          ox.NamedNode("urn:g")))
    return store


def connects(listener, run) -> tuple[bool, bool]:
    """(whether the engine connected to the listener, whether it parsed the text)."""
    before = listener.connections
    parsed = True
    try:
        result = run()
        if isinstance(result, (ox.QuerySolutions, ox.QueryTriples)):
            list(result)
    except SyntaxError:
        parsed = False
    except (OSError, RuntimeError):
        pass  # the listener's answer, or a refused one: the connection is what counts
    return listener.connections > before, parsed


def query_corpus(port: int, count: int) -> list[str]:
    rng = random.Random(12)
    combos = list(itertools.product(BEFORE, GLUE, KEYWORDS, GLUE, remote_iris(port)))
    return [f"{prologue(port)}SELECT * WHERE {{ {before}{glue}{keyword}{glue2}{iri} "
            f"{{ ?a ?b ?c }} }}" for before, glue, keyword, glue2, iri in rng.sample(combos, count)]


def update_corpus(port: int) -> list[str]:
    return [f"{prologue(port)}{before}{glue}{load}{glue2}{iri}"
            for before, glue, load, glue2, iri in itertools.product(
                UPDATES_BEFORE, ["", " ", "\n"], LOADS, ["", " "], remote_iris(port))]


def test_whenever_the_engine_calls_out_the_check_refused(listener):
    port = listener.server_address[1]
    store = engine_store()
    called = missed = 0
    for text in query_corpus(port, 1500):
        connected, _ = connects(listener, lambda: store.query(text, use_default_graph_as_union=True))
        if connected:
            called += 1
            missed += querytext.remote_access(text) is None
            assert querytext.remote_access(text) == "SERVICE", text
    for text in update_corpus(port):
        connected, _ = connects(listener, lambda: ox.Store().update(text))
        if connected:
            called += 1
            assert querytext.remote_access(text) == "LOAD", text
    # The corpus must reach the network often, or it proves nothing.
    assert called > 600 and missed == 0


def test_the_two_reported_bypasses_are_refused(listener):
    port = listener.server_address[1]
    store = engine_store()
    bypasses = [
        f"PREFIX x: <urn:\\u0041#> SELECT * {{ SERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}",
        f"PREFIX ex: <urn:x:> SELECT * {{ BIND(ex:a\\#b AS ?z) SERVICE <http://127.0.0.1:{port}/x> "
        f"{{ ?s ?p ?o }} }}",
    ]
    for text in bypasses:
        assert connects(listener, lambda: store.query(text))[0]  # the engine does call out
        with pytest.raises(querytext.RemoteRefused, match="SERVICE is disabled"):
            querytext.check(text, allow_federation=False)
        querytext.check(text, allow_federation=True)  # allowed when the setting says so
    load = f"PREFIX x: <urn:\\u0041#> LOAD <http://127.0.0.1:{port}/x>"
    assert connects(listener, lambda: ox.Store().update(load))[0]
    assert querytext.remote_access(load) == "LOAD"


def benign(port: int) -> list[str]:
    iri = f"http://127.0.0.1:{port}/"
    fragments = [
        f'?s ?p "SERVICE <{iri}> {{}}"', f"?s ?p '''SERVICE <{iri}> {{}} ' '' '''",
        f'?s ?p """LOAD <{iri}> "" """', f"?s ?p <{iri}SERVICE>", f"?s ?p <urn:\\u0041#SERVICE>",
        f"# SERVICE <{iri}> {{}}\n ?s ?p ?o", f"?s ?p ?o # LOAD <{iri}>\r",
        "?service ?load ?o", "$service ?p ?o", "?s ex:service ex:load",
        f"?s ?p ex:a\\#SERVICE", "?s ?p ex:a\\#b # SERVICE\n", '?s ?p "a\\"SERVICE\\""',
        "?s ex:downloadUrl ?o", "?s ?p ex:a%20SERVICE",
        '?s ?p "x"@en-service', "?s ?p _:service", "?s ex:a:service ?o",
    ]
    return [f"{prologue(port)}SELECT * WHERE {{ {f} }}" for f in fragments]


def test_keywords_the_engine_does_not_read_as_keywords_pass(listener):
    port = listener.server_address[1]
    store = engine_store()
    for text in benign(port):
        connected, parsed = connects(listener, lambda: store.query(text))
        assert parsed and not connected, text
        querytext.check(text, allow_federation=False)


@pytest.mark.parametrize("char", ["!", "(", "{", "["])
def test_deep_nesting_never_reaches_the_parser(char):
    closing = {"(": ")", "{": "}", "[": "]", "!": ""}[char]
    text = "SELECT * { FILTER(" + char * 10_000 + "true" + closing * 10_000 + ") }"
    with pytest.raises(Invalid, match="deeper than 100 levels"):
        querytext.check(text, allow_federation=False)
    spaced = "SELECT * { FILTER(" + "! " * 10_000 + "true) }"
    assert querytext.nesting(spaced) > querytext.MAX_NESTING


def test_nesting_within_the_limit_is_given_to_the_engine():
    depth = querytext.MAX_NESTING - 2
    text = "SELECT * { FILTER(" + "(" * depth + "true" + ")" * depth + ") }"
    querytext.check(text, allow_federation=False)
    assert len(list(ox.Store().query(text))) == 1
    # Brackets inside strings, IRIs and comments are no nesting.
    quoted = 'SELECT * { BIND("' + "(" * 5000 + '" AS ?x) } # ' + "{" * 5000
    assert querytext.nesting(quoted) == 0


def test_oversized_text_is_refused_before_it_is_read():
    with pytest.raises(TooLarge, match="at most 1,048,576"):
        querytext.check("#" * (querytext.MAX_QUERY_CHARS + 1), allow_federation=True)


def test_escapes_that_spell_a_keyword_for_servers_that_decode_them_first_are_refused():
    # SPARQL 1.1 (19.2) decodes \u escapes before parsing; Oxigraph does not, other servers
    # behind a remote store may: either reading that finds the keyword refuses the text.
    for text in ["SELECT * { SERV\\u0049CE <http://x/> {} }",
                 'SELECT * { ?s ?p "a\\u0022 SERVICE <http://x/> {} }']:
        assert querytext.remote_access(text) == "SERVICE"


def test_a_prefix_the_engine_would_read_as_the_keyword_is_named():
    with pytest.raises(querytext.RemoteRefused, match="reads `SERVICESILENT`"):
        querytext.check("PREFIX : <urn:x:> SELECT * { SERVICESILENT:x {} }", allow_federation=False)
