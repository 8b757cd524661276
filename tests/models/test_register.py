import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
import rdflib
from rdflib.namespace import PROV

from tinyreg.registry import Invalid, NotFound, Registry
from tinyreg.registry.models import register_model, show_model, tidy_artifacts
from tinyreg.registry.references import resolve_model
from tinyreg.registry.models.artifacts import artifact_path
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import TR

CARD = {"name": "KWS micro", "task": "keyword-spotting", "sensors": ["pdm microphone"],
        "license": "Apache-2.0",
        "metrics": [{"metric": "accuracy", "value": 0.9, "dataset": "Speech Commands"},
                    {"metric": "accuracy", "value": 0.8, "dataset": "Speech Commands",
                     "slice": {"noise": "cafe"}}]}


def test_a_registered_version_carries_what_tflm_measured(registry):
    data = writer.conv2d(size=16, channels=1, filters=8)
    result = register_model(registry, data, CARD)
    assert result.created and result.number == 1
    graph = registry.store.get_graph(result.iri)
    v = rdflib.URIRef(result.iri)
    tflm = result.report.tflm
    assert tflm.runs
    # A device must provide the smallest arena that worked; the recorded total is kept too.
    assert graph.value(v, TR.arenaBytes).toPython() == tflm.minimum_arena
    assert graph.value(v, TR.arenaRecordedBytes).toPython() == tflm.arena.total
    assert graph.value(v, TR.arenaHeadBytes).toPython() + graph.value(
        v, TR.arenaTailBytes).toPython() == tflm.arena.total
    assert graph.value(v, TR.arenaMethod) == TR.TFLMRecordingAllocator
    categories = {str(graph.value(n, TR.category)) for n in graph.objects(v, TR.arenaAllocation)}
    assert categories == {u.category for u in tflm.arena.breakdown}
    assert graph.value(v, TR.modelFlashBytes).toPython() % 16 == 0
    assert graph.value(v, TR.modelFlashBytes).toPython() >= len(data)
    assert graph.value(v, TR.numberFormat) == TR.Int8
    assert (v, TR.requiresSensor, TR.PDMMicrophone) in graph
    assert (v, TR.runsOn, TR.TFLM) in graph and (v, TR.runsOn, TR.LiteRT) in graph
    slices = {str(graph.value(e, TR.slice)) for e in graph.objects(v, TR.evaluation)}
    assert "noise=cafe" in slices
    sha = hashlib.sha256(data).hexdigest()
    assert artifact_path(registry.artifacts_path, sha).read_bytes() == data


def test_versions_link_and_same_bytes_are_one_artifact(registry):
    first = register_model(registry, writer.fully_connected(), CARD)
    again = register_model(registry, writer.fully_connected(), {"name": "KWS micro"})
    assert not again.created and again.iri == first.iri
    second = register_model(registry, writer.fully_connected(units=4), {"name": "KWS micro"})
    assert second.number == 2
    graph = registry.store.get_graph(second.iri)
    v2 = rdflib.URIRef(second.iri)
    assert graph.value(v2, PROV.wasRevisionOf) == rdflib.URIRef(first.iri)
    # What the new card leaves out is kept from the version before.
    assert graph.value(v2, TR.task) == TR.KeywordSpotting
    assert (v2, TR.requiresSensor, TR.PDMMicrophone) in graph
    # Another model with the same bytes shares the stored file.
    other = register_model(registry, writer.fully_connected(), {"name": "Other"})
    assert other.created and other.sha256 == first.sha256
    assert len(list(registry.artifacts_path.glob("??/*"))) == 2
    assert resolve_model(registry, "kws-micro") == second.iri
    assert resolve_model(registry, "kws-micro@1") == first.iri
    assert show_model(registry, "kws-micro@2")["n"] == 2
    with pytest.raises(NotFound):
        resolve_model(registry, "kws-micro@9")


def test_a_model_tflm_refuses_is_registered_with_the_reason_and_an_estimate(registry):
    result = register_model(registry, writer.hybrid_fully_connected(), {"name": "Hybrid"})
    graph = registry.store.get_graph(result.iri)
    v = rdflib.URIRef(result.iri)
    # The estimate has its own property: tr:arenaBytes holds only what TFLM measured.
    assert graph.value(v, TR.arenaBytes) is None and graph.value(v, TR.arenaMethod) is None
    assert graph.value(v, TR.estimateMethod) == TR.TFLMAllocatorModel
    assert graph.value(v, TR.estimatedArenaBytes).toPython() > 0
    checks = {graph.value(c, TR.onRuntime): c for c in graph.objects(v, TR.runtimeCheck)}
    assert graph.value(checks[TR.TFLM], TR.runs).toPython() is False
    assert str(graph.value(checks[TR.TFLM], TR.reason))
    assert (v, TR.runsOn, TR.LiteRT) in graph and (v, TR.runsOn, TR.TFLM) not in graph


@pytest.mark.parametrize("data", [b"", b"not a model at all", writer.conv2d()[:100]])
def test_bad_files_store_nothing(registry, data):
    before = registry.store.revision()
    with pytest.raises(Invalid):
        register_model(registry, data, CARD)
    assert registry.store.revision() == before
    assert not list(registry.artifacts_path.glob("??/*"))


@pytest.mark.parametrize("card, message", [
    ({"name": "x", "task": "telepathy"}, "unknown task"),
    ({"name": "x", "sensors": ["nose"]}, "unknown sensor"),
    ({"name": "x", "metrics": [{"metric": "accuracy", "value": "high"}]}, "not a number"),
    ({"name": "x", "colour": "blue"}, "unknown model card field"),
    ({}, "needs a name"),
])
def test_bad_cards_are_refused_before_measuring(registry, card, message):
    with pytest.raises(Invalid, match=message):
        register_model(registry, writer.fully_connected(), card)
    assert registry.stats()["versions"] == 0


_LOOP = """
import sys, itertools
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
reg = Registry(load_settings(environ={{}}, data_dir={data!r})); reg.init()
print("ready", flush=True)
for i in itertools.count({start}):
    register_model(reg, writer.fully_connected(inputs=8 + i % 64, units=2 + i // 64), {{"name": "m"}})
    print("registered", flush=True)
"""


def test_kill_9_at_any_point_leaves_store_and_artifacts_agreeing(tmp_path):
    data = tmp_path / "data"
    # Each round waits for the loop's own word that it registered (however slow the machine),
    # then kills it somewhere in the registrations after: in measuring, storing the file or
    # writing the graph, wherever the moment falls.
    for start, registered, delay in ((0, 1, 0.0), (100, 1, 0.4), (200, 2, 0.9)):
        proc = subprocess.Popen([sys.executable, "-c", _LOOP.format(data=str(data), start=start)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            for _ in range(registered):
                assert proc.stdout.readline().strip() == "registered", "the loop died on its own"
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
    from tinyreg.registry import load_settings
    reg = Registry(load_settings(environ={}, data_dir=str(data)))
    try:
        rows = reg.store.select(
            "PREFIX tr: <https://w3id.org/tinyreg/ontology#> "
            "SELECT ?v ?sha ?size WHERE { ?v tr:artifact ?a . ?a tr:sha256 ?sha ; tr:byteSize ?size }")
        assert rows, "the loop registered nothing before being killed"
        for row in rows:  # no graph without its file, and the file is whole
            blob = artifact_path(reg.artifacts_path, row["sha"]).read_bytes()
            assert len(blob) == row["size"] and hashlib.sha256(blob).hexdigest() == row["sha"]
        numbers = sorted(r["n"] for r in reg.store.select(
            "PREFIX tr: <https://w3id.org/tinyreg/ontology#> SELECT ?n WHERE { ?v tr:versionNumber ?n }"))
        assert numbers == list(range(1, len(numbers) + 1))
        tidy_artifacts(reg)
        assert {p.name for p in reg.artifacts_path.glob("??/*")} == {r["sha"] for r in rows}
        assert reg.stats()["versions"] == len(rows)
    finally:
        reg.close()
