"""A model TFLM cannot measure: registered with an estimate under its own property, and every
verdict and view that rests on the estimate says so."""
from __future__ import annotations

import re

import rdflib
import pytest

from tinyreg.registry import compat
from tinyreg.registry.compat.results import INFO, VIOLATION
from tinyreg.registry.models import register_model, show_model
from tinyreg.registry.tflite import estimate_file, writer
from tinyreg.registry.vocab import TR
from tinyreg.web.app import create_app

BOARD = "https://w3id.org/tinyreg/id/device/board-{}"
# Every arena TFLM is given crashes: the probe can tell nothing about this model.
CRASH_EVERYWHERE = "crash-below:1000000000"


def _board(iri: str, ram: int) -> rdflib.Graph:
    return rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{iri}> a tr:MicrocontrollerBoard ; tr:usableRamBytes {ram} ; tr:usableFlashBytes 2097152 ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:TFLM ; tr:runtimeRamBytes 0 ;
                            tr:runtimeCodeBytes 0 ] .""")


@pytest.fixture
def unmeasured(registry, monkeypatch):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", CRASH_EVERYWHERE)
    data = writer.streaming()
    result = register_model(registry, data, {"name": "Stream"})
    monkeypatch.delenv("TINYREG_PROBE_FAULT")
    return result, estimate_file(data, max_bytes=1 << 24).total_bytes


def test_the_estimate_is_stored_apart_and_runs_stays_unknown(registry, unmeasured):
    result, estimate = unmeasured
    graph, v = registry.store.get_graph(result.iri), rdflib.URIRef(result.iri)
    assert graph.value(v, TR.arenaBytes) is None
    assert graph.value(v, TR.estimatedArenaBytes).toPython() == estimate
    assert graph.value(v, TR.estimateMethod) == TR.TFLMAllocatorModel
    [check] = [c for c in graph.objects(v, TR.runtimeCheck)
               if graph.value(c, TR.onRuntime) == TR.TFLM]
    # A crash is not a refusal: whether TFLM runs the model stays unknown.
    assert graph.value(check, TR.runs) is None
    assert graph.value(check, TR.measured).toPython() is False
    assert str(graph.value(check, TR.reason)).startswith("could not measure: TFLM killed by SIGSEGV")
    summary = show_model(registry, result.iri)
    assert (summary["arena"], summary["arena_basis"]) == (estimate, "estimated")


def test_verdicts_on_the_estimate_say_it_is_one(registry, unmeasured):
    result, estimate = unmeasured
    roomy, tight = BOARD.format("roomy"), BOARD.format("tight")
    registry.store.put_graphs({roomy: _board(roomy, estimate), tight: _board(tight, estimate - 1)})
    for check in (compat.check, compat.check_shacl):
        fits = check(registry, result.iri, roomy)
        assert fits.fits
        [note] = [r for r in fits.results if r.group != compat.HEADROOM]  # the headroom stated besides
        assert note.severity == INFO
        assert note.message == f"tensor arena estimated, not measured: {estimate:,} B"
        short = check(registry, result.iri, tight)
        assert not short.fits
        [violation] = [r for r in short.results if r.severity == VIOLATION]
        assert violation.message.startswith(f"needs {estimate:,} B of RAM: {estimate:,} B tensor arena (estimated) + ")


def test_model_show_says_estimated(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", CRASH_EVERYWHERE)
    path = tmp_path / "stream.tflite"
    path.write_bytes(writer.streaming())
    added = invoke("model", "add", path)
    assert added.exit_code == 0, added.output
    assert "(estimated, not measured" in added.output
    assert "TFLM: unknown: could not measure" in added.output
    shown = invoke("model", "show", "stream")
    assert shown.exit_code == 0, shown.output
    estimate = estimate_file(writer.streaming(), max_bytes=1 << 24).total_bytes
    assert f"arena {estimate:,} B (estimated: TFLMAllocatorModel)" in shown.output
    assert "TFLM: unknown: could not measure" in shown.output


def test_the_model_page_says_estimated(registry, unmeasured):
    result, estimate = unmeasured
    app = create_app({"TESTING": True}, registry=registry)
    page = app.test_client().get("/models/stream")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<span class="tag basis-estimated">estimated</span>' in text
    api = app.test_client().get("/api/models/stream").get_json()
    assert (api["arena_bytes"], api["arena_basis"]) == (estimate, "estimated")
    assert api["measured_arena_bytes"] is None


def test_model_show_names_the_basis_of_every_figure(invoke, tmp_path, monkeypatch):
    """Every memory figure `model show` prints says whether it was measured, estimated or
    declared: the arena TFLM could not measure, a manifest's declared arena, a vendor's
    estimate and LiteRT's measurement."""
    import json
    monkeypatch.setenv("TINYREG_PROBE_FAULT", CRASH_EVERYWHERE)
    path = tmp_path / "stream.tflite"
    path.write_bytes(writer.streaming())
    (tmp_path / "stream.json").write_text(json.dumps(
        {"type": "micro", "wake_word": "Stream", "model": "stream.tflite",
         "micro": {"tensor_arena_size": 4000}}))
    assert invoke("model", "add", path).exit_code == 0
    monkeypatch.delenv("TINYREG_PROBE_FAULT")
    added = invoke("model", "figure", "stream", "--runtime", "x-cube-ai", "--ram", 41210,
                   "--basis", "estimated", "--source", "X-CUBE-AI 10.2")
    assert added.exit_code == 0, added.output
    shown = invoke("model", "show", "stream")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    estimate = estimate_file(writer.streaming(), max_bytes=1 << 24).total_bytes
    assert f"  arena {estimate:,} B (estimated: TFLMAllocatorModel)" in lines[1]
    assert "  declared arena 4,000 B (in stream.json)" in lines
    assert "  on XCubeAI: RAM 41,210 B (estimated by X-CUBE-AI 10.2)" in lines
    [litert] = [line for line in lines if line.startswith("  on LiteRT: RAM ")]
    assert "B (measured by LiteRT " in litert
    memory = [line for line in lines if re.search(r"[0-9] B\b", line) and "sha256" not in line]
    assert len(memory) == 4, memory
    assert all(any(word in line for word in ("measured", "estimated", "declared"))
               for line in memory)
