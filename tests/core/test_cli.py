import json
import os
import re
import socket
import subprocess
import sys

import pytest
import rdflib
from rdflib.compare import isomorphic


def test_init_and_stats(invoke):
    result = invoke("init")
    assert result.exit_code == 0
    assert "ontology:" in result.output and "loaded" in result.output
    again = invoke("init")
    assert "up to date" in again.output
    stats = json.loads(invoke("stats", "--format", "json").output)
    counts = {row["what"]: row["count"] for row in stats}
    assert counts["devices"] == 0 and counts["models"] == 0 and counts["graphs"] >= 1


def test_query_formats(invoke):
    q = ("SELECT ?label WHERE { <https://w3id.org/tinyreg/ontology#PDMMicrophone> "
         "<http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    table = invoke("query", q)
    assert table.exit_code == 0 and "PDM microphone" in table.output and "(1 row)" in table.output
    rows = json.loads(invoke("query", q, "--format", "json").output)
    assert rows == [{"label": "PDM microphone"}]
    assert invoke("query", q, "--format", "csv").output.splitlines() == ["label", "PDM microphone"]
    ask = invoke("query", "ASK { ?s a <https://w3id.org/tinyreg/ontology#Task> }")
    assert ask.output.strip() == "true"
    construct = invoke("query", "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 2")
    assert construct.exit_code == 0 and "@prefix" in construct.output or "<" in construct.output


def test_bad_sparql_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "d").mkdir()
    # Through the real console entry point, so a traceback would show on stderr.
    proc = subprocess.run(
        [sys.executable, "-m", "tinyreg.web.cli", "--data", str(tmp_path / "d"), "query",
         "SELEC ?x WHERE { ?x ?p ?o }"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "invalid SPARQL query" in lines[0]


# What ends the engine's process rather than raising: on the embedded store `tinyreg query`
# runs in a worker process, so each is one line naming the cause, and no Rust backtrace.
_PANIC = "SELECT ?f { VALUES ?f {%s } } ORDER BY ?f" % (' 8912896 9 "9-axis IMU"@en 90 9020' * 5)
_DEEP = "SELECT * { FILTER(" + "+".join(["1"] * 10_000) + ") }"  # flat text, a deep tree
_DOUBLING = ('SELECT ?z30 { BIND("ab" AS ?z0) '
             + " ".join(f"BIND(CONCAT(?z{i}, ?z{i}) AS ?z{i + 1})" for i in range(30)) + " }")


@pytest.mark.parametrize("text, code, message", [
    (_PANIC, 2, "the query engine failed on this query \\(.*total order\\)"),
    (_DEEP, 2, "ran out of stack"),
    (_DOUBLING, 3, "more memory than the 256 MiB a query may use \\(setting sparql_memory_mb\\)"),
], ids=["panic", "stack overflow", "memory cap"])
def test_a_query_that_kills_the_engine_is_one_line(tmp_path, text, code, message):
    (tmp_path / "d").mkdir()  # --data names a directory that exists (a new one is refused)
    env = {**os.environ, "RUST_BACKTRACE": "1", "TINYREG_SPARQL_MEMORY_MB": "256"}
    proc = subprocess.run(
        [sys.executable, "-m", "tinyreg.web.cli", "--data", str(tmp_path / "d"), "query", text],
        capture_output=True, text=True, timeout=120, env=env)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert (proc.returncode, len(lines)) == (code, 1), proc.stdout + proc.stderr
    assert re.search(message, lines[0]) and lines[0].startswith("Error: ")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once it is closed


@pytest.mark.parametrize("federation, code, message", [
    ("false", 2, "SERVICE is disabled"),  # refused before the engine sees it
    # Made, and failed (the embedded store says so; a server breaks off its answer).
    ("true", 3, "the query failed|broke off its answer"),
])
def test_query_with_service_is_one_line(tmp_path, store_overrides, store_kind, federation, code,
                                       message):
    if store_kind == "virtuoso" and federation == "true":
        # Virtuoso's parser takes no \u escape in an IRI: the query is refused, on one line.
        code, message = 2, "invalid SPARQL query: .*Bad character"
    env = {**os.environ, "TINYREG_SPARQL_ALLOW_FEDERATION": federation,
           **{f"TINYREG_{k.upper()}": v for k, v in store_overrides.items()}}
    (tmp_path / "d").mkdir()
    text = (f"PREFIX x: <urn:\\u0041#> SELECT * {{ SERVICE <http://127.0.0.1:{closed_port()}/x> "
            f"{{ ?s ?p ?o }} }}")
    proc = subprocess.run(
        [sys.executable, "-m", "tinyreg.web.cli", "--data", str(tmp_path / "d"), "query", text],
        capture_output=True, text=True, timeout=120, env=env)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert (proc.returncode, len(lines)) == (code, 1), proc.stderr
    assert re.search(message, lines[0]) and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["device", "show", "!!!"], "Error: no device !!!"),
    (["device", "show", "urn:dev:never"], "Error: no device urn:dev:never"),
    (["model", "show", "no-such-model"], "Error: no model 'no-such-model'"),
    (["model", "show", "x@99999999999999999999"], "Error: model 'x' has no version 99999999999999999999"),
    (["check", "no-such-model", "no-such-device"], "Error: no model 'no-such-model'"),
    (["device", "add", "/dev/null"], "Error: /dev/null: not a device description the registry reads"),
])
def test_a_user_error_is_one_line_and_exit_code_2(invoke, args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith(message)


def test_device_show_takes_the_id_its_source_file_gave_it(invoke, tmp_path):
    """A TD's own `id`, kept as the device's owl:sameAs, names the device like its identifier."""
    td = {"@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
          "id": "urn:dev:ops:Line-3/Node#17", "title": "Node 17",
          "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
          "ramBytes": 262144, "flashBytes": 1048576,
          "processor": {"mcu": "nRF52840", "core": "CortexM4F", "clockHz": 64000000}}
    path = tmp_path / "node.td.jsonld"
    path.write_text(json.dumps(td))
    added = invoke("device", "add", path)
    assert added.exit_code == 0, added.output
    [iri] = [line.split()[1] for line in added.output.splitlines() if line.startswith("device ")]
    by_source = invoke("device", "show", td["id"], "--format", "nt")
    by_iri = invoke("device", "show", iri, "--format", "nt")
    assert by_source.exit_code == 0 and f"<{iri}> <http://www.w3.org/2002/07/owl#sameAs> " \
        f"<{td['id']}>" in by_source.output
    graphs = [rdflib.Graph().parse(data=r.output, format="nt") for r in (by_source, by_iri)]
    assert len(graphs[0]) > 10 and isomorphic(*graphs)


@pytest.mark.stores("embedded")  # the lock of an embedded store's directory; a server has none
def test_store_in_use_is_a_clear_error(tmp_path, invoke):
    from tinyreg.registry.store import EmbeddedStore
    holder = EmbeddedStore(tmp_path / "d" / "store")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tinyreg.web.cli", "--data", str(tmp_path / "d"), "stats"],
            capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr and "in use" in proc.stderr


@pytest.mark.stores("embedded")  # reasons over the shipped ontology file, not over the store
def test_ontology_check_prints_counts(invoke):
    result = invoke("ontology", "check")
    assert result.exit_code == 0
    assert "classes:" in result.output and "object properties:" in result.output
    assert "consistent: yes" in result.output
    # The pitfall check's findings follow (tests/ontology/test_pitfalls.py holds which).
    assert "pitfalls: none" in result.output
