"""Each device format read from fixtures written for it, into the one device contract."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import OWL, RDF

from tinyreg.registry.devices import parse_device
from tinyreg.registry.vocab import HCTL, SSN, TD, TR, device_id, device_iri

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"


def parse(name: str):
    path = DATA / name
    return parse_device(path.read_bytes(), path.name)


def test_platformio_manifest_gives_the_expected_graph():
    record = parse("nano33ble.json")
    expected = Graph().parse(DATA / "expected" / "nano33ble.ttl")
    assert to_isomorphic(record.graph) == to_isomorphic(expected)


def test_td_11_with_the_tinyml_extension_keeps_td_triples_on_the_device():
    record = parse("td11-tinyml.jsonld")
    g, dev = record.graph, URIRef(record.iri)
    assert record.iri == device_iri(device_id("urn:dev:ops:kws-node-17"))
    assert (dev, OWL.sameAs, URIRef("urn:dev:ops:kws-node-17")) in g
    assert (dev, RDF.type, TR.MicrocontrollerBoard) in g
    assert (dev, RDF.type, TD.Thing) in g
    assert g.value(dev, TR.usableRamBytes).toPython() == 262144
    assert g.value(dev, TR.reservedRamBytes).toPython() == 65536
    assert str(g.value(dev, TD.title)) == "Keyword spotter, line 3"
    cpu = g.value(dev, TR.hasProcessor)
    assert g.value(cpu, TR.core) == TR.CortexM4F and g.value(cpu, TR.hasFPU).toPython() is True
    imu = next(s for s in g.objects(dev, TR.hasSensor) if (s, RDF.type, TR.IMU9DoF) in g)
    parts = {g.value(p, RDF.type) for p in g.objects(imu, SSN.hasSubSystem)}
    assert parts == {TR.Accelerometer, TR.Gyroscope, TR.Magnetometer}
    runtime = g.value(dev, TR.hasRuntime)
    assert g.value(runtime, TR.runtime) == TR.TFLM and str(g.value(runtime, TR.runtimeVersion)) == "2.14"
    # the form's relative href is resolved against the TD's base
    assert URIRef("http://kws-node-17.local/properties/keyword") in set(g.objects(None, HCTL.hasTarget))
    assert not record.warnings


def test_td_10_without_tinyml_facts_is_a_device_marked_incomplete():
    record = parse("td10-plain.jsonld")
    g, dev = record.graph, URIRef(record.iri)
    assert (dev, RDF.type, TR.Device) in g
    assert {str(r) for r in g.objects(dev, TR.incomplete)} == {"no RAM figure", "no flash figure"}
    assert len(set(g.objects(dev, TD.hasPropertyAffordance))) == 1
    assert (None, TD.hasActionAffordance, None) in g and (None, TD.hasEventAffordance, None) in g


def test_td_without_memory_is_registered_and_incomplete():
    record = parse("td11-no-memory.jsonld")
    g, dev = record.graph, URIRef(record.iri)
    assert (dev, RDF.type, TR.MicrocontrollerBoard) in g
    assert Literal("no RAM figure") in set(g.objects(dev, TR.incomplete))
    assert g.value(g.value(dev, TR.hasRuntime), TR.runtime) == TR.TFLM


def test_zephyr_board_in_kib_with_core_from_the_soc():
    record = parse("zephyr-nrf5340dk.yaml")
    g, dev = record.graph, URIRef(record.iri)
    assert g.value(dev, TR.usableRamBytes).toPython() == 448 * 1024
    assert g.value(dev, TR.usableFlashBytes).toPython() == 1024 * 1024
    cpu = g.value(dev, TR.hasProcessor)
    assert g.value(cpu, TR.core) == TR.CortexM33 and g.value(cpu, TR.hasDSP).toPython() is True
    assert set(g.objects(dev, TR.connectivity)) == {TR.Thread, TR.USB}
    assert not list(g.objects(dev, TR.hasSensor))  # the file says nothing about sensors


def test_zephyr_board_without_memory_is_incomplete():
    record = parse("zephyr-esp32s3-no-memory.yaml")
    assert {str(r) for r in record.graph.objects(URIRef(record.iri), TR.incomplete)} == {
        "no RAM figure", "no flash figure"}


@pytest.mark.parametrize("name, message", [
    ("invalid.json", "invalid JSON"),
    ("invalid.yaml", "invalid YAML"),
    ("not-a-td.jsonld", "not a WoT Thing Description"),
    ("remote-context.jsonld", "only @context is remote and unknown"),
    ("negative-ram.json", "RAM is negative"),
    ("absurd-flash.yaml", "beyond any such device"),
    ("absurd-td.jsonld", "beyond any such device"),
])
def test_bad_input_is_refused_with_a_message_naming_the_problem(name, message):
    from tinyreg.registry.errors import Invalid
    with pytest.raises(Invalid, match=message):
        parse(f"bad/{name}")


def test_a_td_without_id_gets_one_from_its_content_stable_across_imports():
    first, again = parse("no-id.jsonld"), parse("no-id.jsonld")
    assert first.iri == again.iri and first.iri.startswith("https://w3id.org/tinyreg/id/device/urn-uuid-")
    assert any("has no id" in w and "derived from its content" in w for w in first.warnings)
    reformatted = parse_device((DATA / "no-id.jsonld").read_text().replace(", ", ",\n  ").encode(), "other.jsonld")
    assert reformatted.iri == first.iri  # the content decides, not the bytes
    other = parse_device((DATA / "no-id.jsonld").read_text().replace("Thing without id", "Another").encode(), "x.jsonld")
    assert other.iri != first.iri


def test_a_td_the_json_ld_processor_refuses_is_read_as_td_json():
    doc = (DATA / "td11-tinyml.jsonld").read_text().replace('"id": "urn:dev:ops:kws-node-17",',
                                                           '"id": "urn:dev:ops:kws-node-17", "@id": "urn:x:1",')
    record = parse_device(doc.encode(), "colliding.jsonld")
    assert record.iri == device_iri(device_id("urn:dev:ops:kws-node-17"))
    assert any("read as TD JSON, without @id" in w for w in record.warnings)
    assert record.graph.value(URIRef(record.iri), TR.usableRamBytes).toPython() == 262144
