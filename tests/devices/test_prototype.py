"""The research prototype's graph read into ours, and its three questions answered by SPARQL."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from tinyreg.registry.devices import parse_prototype
from tinyreg.registry.competency import competency_question
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import TR, device_iri, version_iri

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"
# The prototype's own three questions, in SPARQL alone (the examples ask the engine).
DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, BEST_MODEL_FOR_TASK = (
    competency_question(key) for key in ("devices-for-model", "models-for-device",
                                         "best-model-for-task"))
@pytest.fixture
def imported():
    return parse_prototype((DATA / "prototype.ttl").read_bytes())


def test_devices_and_models_keep_the_facts_that_matter(imported):
    devices = {r.iri: r.graph for r in imported.devices}
    nano = devices[device_iri("nano33")]
    dev = URIRef(device_iri("nano33"))
    assert nano.value(dev, TR.usableRamBytes).toPython() == 256_000  # kilobytes of 1000 bytes
    assert nano.value(dev, TR.usableFlashBytes).toPython() == 1_024_000
    assert {nano.value(s, __import__("rdflib").RDF.type) for s in nano.objects(dev, TR.hasSensor)} == {
        TR.Accelerometer, TR.Gyroscope, TR.Microphone}
    models = {m.iri: m.graph for m in imported.models}
    kws = URIRef(version_iri("kws-ds-cnn", 1))
    g = models[str(kws)]
    # Declared by the prototype, not measured: never under the measured properties.
    assert g.value(kws, TR.arenaBytes) is None and g.value(kws, TR.modelFlashBytes) is None
    assert g.value(kws, TR.declaredArenaBytes).toPython() == 8080
    assert g.value(kws, TR.declaredFlashBytes).toPython() == 52600
    assert g.value(kws, TR.macs).toPython() == 2_700_000
    assert g.value(kws, TR.requiresSensor) == TR.Microphone
    assert g.value(kws, TR.task) == TR.Classification
    assert g.value(kws, TR.numberFormat) == TR.Int8


def test_blemishes_are_read_leniently_and_reported(imported):
    report = "\n".join(imported.report)
    assert "IRI <None> is relative" in report
    assert "double slash" in report
    assert "PersonDetection is not declared" in report
    assert "has no unit; read as kilobytes" in report
    assert len(imported.devices) == 3 and len(imported.models) == 4


def test_the_prototypes_three_questions(registry):
    add_device(registry, (DATA / "prototype.ttl").read_bytes(), "prototype.ttl")
    select = registry.store.select
    kws = IRI(version_iri("kws-ds-cnn", 1))

    rows = select(DEVICES_FOR_MODEL.sparql, {"model": kws})
    assert [r["device"] for r in rows] == [device_iri("nano33"), device_iri("stm32l4")]

    rows = select(MODELS_FOR_DEVICE.sparql, {"device": IRI(device_iri("nano33"))})
    # person-detect's input was written as <None>, so its camera need is lost (and reported)
    assert [r["model"] for r in rows] == [version_iri(m, 1) for m in
                                         ("kws-ds-cnn", "kws-small", "motor-anomaly", "person-detect")]

    rows = select(BEST_MODEL_FOR_TASK.sparql, {"device": IRI(device_iri("stm32l4")),
                                               "task": IRI(str(TR.Classification))})
    assert rows[0]["model"] == version_iri("kws-ds-cnn", 1)
    assert rows[0]["score"] == pytest.approx(0.91)
    # kws-small states its accuracy as the prototype's published data does (nnet:hasMetricValue).
    assert [(r["model"], r["score"]) for r in rows[1:]] == [(version_iri("kws-small", 1),
                                                            pytest.approx(0.84))]
