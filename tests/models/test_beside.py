"""Files beside a model: our card, an ESPHome micro_wake_word manifest, a Hugging Face model
card; any other file is warned about and never stops the model."""
from __future__ import annotations

from decimal import Decimal

import json

import rdflib

from tinyreg.registry.models import register_file, show_model
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import TR


def _manifest(model: str, arena: int) -> str:
    # The fields ESPHome's micro_wake_word manifests have (version 2), values our own.
    return json.dumps({"type": "micro", "wake_word": "Hey Tiny", "author": "Test Bench",
                       "website": "https://example.org/", "model": model,
                       "trained_languages": ["en"], "version": 2,
                       "micro": {"probability_cutoff": 0.9, "feature_step_size": 10,
                                 "sliding_window_size": 5, "tensor_arena_size": arena,
                                 "minimum_esphome_version": "2024.7.0"}})


def test_a_model_with_a_foreign_manifest_registers_and_keeps_the_declared_arena(registry,
                                                                                  tmp_path):
    model = tmp_path / "hey_tiny.tflite"
    model.write_bytes(writer.streaming())
    (tmp_path / "hey_tiny.json").write_text(_manifest("hey_tiny.tflite", 4000))
    result = register_file(registry, model, {})
    graph, v = registry.store.get_graph(result.iri), rdflib.URIRef(result.iri)
    measured = graph.value(v, TR.arenaBytes).toPython()
    assert graph.value(v, TR.declaredArenaBytes).toPython() == 4000
    assert str(graph.value(v, TR.declaredIn)) == "hey_tiny.json"
    assert graph.value(v, TR.task) == TR.KeywordSpotting
    assert str(graph.value(v, rdflib.URIRef("https://schema.org/creator"))) == "Test Bench"
    # The declared figure is smaller than what TFLM needs: said, and the model still registers.
    assert any(w.startswith("hey_tiny.json declares a tensor arena of 4,000 B, smaller than the "
                            f"{measured:,} B TFLM needs") for w in result.warnings)
    summary = show_model(registry, result.iri)
    assert (summary["arena"], summary["arena_basis"], summary["declared"]) == (
        measured, "measured", 4000)


def test_a_vendor_manifest_beside_a_real_model(registry, tmp_path):
    from ..tflite.conftest import wake_word_models
    models = wake_word_models()
    if not models:
        import pytest
        pytest.skip("pymicro-wakeword is not installed")
    name, (data, manifest) = next(iter(models.items()))
    (tmp_path / manifest["model"]).write_bytes(data)
    (tmp_path / f"{name}.json").write_text(json.dumps(manifest))
    result = register_file(registry, tmp_path / manifest["model"], {})
    summary = show_model(registry, result.iri)
    assert summary["declared"] == manifest["micro"]["tensor_arena_size"]
    assert summary["arena_basis"] == "measured" and summary["name"].startswith(manifest["wake_word"])


def test_unknown_files_beside_a_model_are_warned_about(registry, tmp_path):
    model = tmp_path / "wand.tflite"
    model.write_bytes(writer.fully_connected())
    (tmp_path / "wand.json").write_text(json.dumps({"firmware": "1.2", "board": "nrf52"}))
    (tmp_path / "notes.json").write_text("{ not json")
    result = register_file(registry, model, {})
    assert result.created
    assert result.warnings == ("wand.json: not a model card (fields board, firmware); ignored",)


def test_a_hugging_face_card_beside_a_model(registry, tmp_path):
    model = tmp_path / "kws.tflite"
    model.write_bytes(writer.fully_connected())
    (tmp_path / "README.md").write_text("""---
license: apache-2.0
datasets:
  - speech_commands
tags:
  - keyword-spotting
  - tflite
model-index:
  - name: KWS tiny
    results:
      - task: {type: audio-classification}
        dataset: {name: Speech Commands v2, type: speech_commands}
        metrics:
          - {type: accuracy, value: 0.912}
          - {type: wer, value: 0.1}
---
# KWS tiny
""")
    result = register_file(registry, model, {})
    graph, v = registry.store.get_graph(result.iri), rdflib.URIRef(result.iri)
    assert str(graph.value(v, rdflib.URIRef("http://purl.org/dc/terms/license"))) == "apache-2.0"
    assert graph.value(v, TR.task) == TR.KeywordSpotting
    [evaluation] = graph.objects(v, TR.evaluation)
    assert graph.value(evaluation, TR.metric) == TR.Accuracy
    # A decimal, as the registry writes measured numbers (a double would not survive Virtuoso).
    assert graph.value(evaluation, rdflib.URIRef("https://schema.org/value")).toPython() == \
        Decimal("0.912")
    assert show_model(registry, result.iri)["name"] == "KWS tiny v1"
    assert result.warnings == ("README.md: metric 'wer' is not one the registry knows; left out",)


def test_our_card_still_refuses_its_own_mistakes(registry, tmp_path):
    import pytest
    from tinyreg.registry.errors import Invalid
    model = tmp_path / "m.tflite"
    model.write_bytes(writer.fully_connected())
    (tmp_path / "m.yaml").write_text("name: M\ntask: no-such-task\n")
    with pytest.raises(Invalid, match="unknown task"):
        register_file(registry, model, {})


def test_a_measured_file_of_an_imported_model_links_to_it(registry, tmp_path):
    from pathlib import Path
    from tinyreg.registry.devices.register import add_device
    from tinyreg.registry.models import register_model
    from tinyreg.registry.vocab import version_iri
    prototype = Path(__file__).resolve().parents[1] / "data" / "devices" / "prototype.ttl"
    add_device(registry, prototype.read_bytes(), "prototype.ttl")
    imported = version_iri("kws-ds-cnn", 1)
    declared = show_model(registry, imported)["declared"]
    assert declared is not None
    result = register_model(registry, writer.conv2d(size=16, channels=1, filters=4),
                            {"name": "Keyword spotting DS-CNN", "model": "kws-ds-cnn"})
    assert result.number == 2
    graph, v = registry.store.get_graph(result.iri), rdflib.URIRef(result.iri)
    assert graph.value(v, rdflib.URIRef("http://www.w3.org/ns/prov#wasRevisionOf")) == \
        rdflib.URIRef(imported)
    summary = show_model(registry, result.iri)
    # The measurement wins; the imported figure stays, marked as declared, with its source.
    assert summary["arena_basis"] == "measured" and summary["arena"] == summary["measured"]
    assert summary["declared"] == declared
    assert summary["declaredIn"] == "the research prototype's graph"


def test_hostile_files_beside_a_model_are_ignored_with_a_warning(registry, tmp_path):
    # parsed within the bounds of registry/parsing.py: deep JSON, an alias bomb, huge numbers
    model = tmp_path / "kws.tflite"
    model.write_bytes(writer.fully_connected())
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "big.json").write_text('{"type": "micro", "micro": {"tensor_arena_size": '
                                       + "9" * 5000 + "}}")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
    (tmp_path / "README.md").write_text(f"---\n{bomb}tags: *i\n---\n# KWS\n")
    result = register_file(registry, model, {})
    assert result.created
    [warning] = result.warnings
    assert warning.startswith("README.md: front matter is not valid YAML (invalid YAML: its "
                              "aliases expand it by more than 10,000 nodes")


def test_wrong_types_beside_a_model_cost_that_value_alone(registry, tmp_path):
    # Read through registry/fields.py: each value of the wrong type is warned about by name,
    # and what else the file says is still read.
    model = tmp_path / "hey_tiny.tflite"
    model.write_bytes(writer.streaming())
    manifest = json.loads(_manifest("hey_tiny.tflite", 0))
    manifest["author"] = ["two", "authors"]
    manifest["micro"]["tensor_arena_size"] = 1 << 40
    (tmp_path / "hey_tiny.json").write_text(json.dumps(manifest))
    (tmp_path / "README.md").write_text("""---
license: [mit, apache-2.0]
datasets: speech_commands
model-index:
  - name: Hey Tiny HF
    results:
      - dataset: {name: [not, text]}
        metrics:
          - {type: accuracy, value: high}
          - {type: f1, value: 0.8}
---
""")
    result = register_file(registry, model, {})
    summary = show_model(registry, result.iri)
    assert summary["name"] == "Hey Tiny v1" and summary["declared"] is None
    graph, v = registry.store.get_graph(result.iri), rdflib.URIRef(result.iri)
    assert graph.value(v, rdflib.URIRef("https://schema.org/creator")) is None
    [evaluation] = graph.objects(v, TR.evaluation)
    assert graph.value(evaluation, TR.metric) == TR.F1Score
    assert set(result.warnings) == {
        "hey_tiny.json: micro.tensor_arena_size of 1,099,511,627,776 B is beyond any "
        "microcontroller; ignored",
        "hey_tiny.json: author is a list, not text; ignored",
        "README.md: license is a list, not text; ignored",
        "README.md: model-index[0].results[0].dataset.name is a list, not text; ignored",
        "README.md: metric 'accuracy' has no value that is a number; left out",
    }
