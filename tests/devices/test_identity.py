"""Which device a file describes (devices/identity.py): ids that slug alike stay apart, a
device is found again by its source's id, and an identifier another source owns is refused
(409 Conflict naming both) on every way in."""
from __future__ import annotations

import json

import pytest
import rdflib
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rdflib.compare import isomorphic
from rdflib.namespace import OWL

from tinyreg.deploy.agent.device import Device
from tinyreg.registry import Conflict, Registry
from tinyreg.registry.devices.register import (add_device, import_dir, list_devices,
                                                load_catalog, show_device)
from tinyreg.registry.vocab import DEVICE_BASE, SCHEMA, device_id, device_iri
from tinyreg.web.app import create_app

from ..conftest import DATA

TD = json.loads((DATA / "devices" / "td11-tinyml.jsonld").read_text(encoding="utf-8"))


def td(thing_id: str, title: str = "A board") -> bytes:
    return json.dumps({**TD, "id": thing_id, "title": title}).encode()


def prototype_device(iri: str, name: str) -> bytes:
    return (f"<{iri}> a <http://w3id.org/s3n/SmartSensor> ; "
            f'<http://schema.org/name> "{name}" .\n').encode()


def _same_as(registry, iri: str) -> set[str]:
    return {str(o) for o in registry.store.get_graph(iri).objects(rdflib.URIRef(iri), OWL.sameAs)}


def test_a_td_named_esp_eye_does_not_replace_the_catalog_board(registry):
    load_catalog(registry)
    board = device_iri("esp-eye")
    before = registry.store.get_graph(board)
    result = add_device(registry, td("esp:eye"), "eye.jsonld")
    assert result.devices == [device_iri(device_id("esp:eye"))] != [board]
    assert isomorphic(registry.store.get_graph(board), before)
    assert _same_as(registry, board) == {"urn:tinyreg:catalog:esp-eye"}


def test_ids_that_slug_alike_are_different_devices(registry):
    ids = ["urn:a:b", "urn-a:b", "URN:A:B", "urn:dev:日本", "urn:dev:🚀"]
    for i, thing_id in enumerate(ids):
        add_device(registry, td(thing_id, f"board {i}"), f"{i}.jsonld")
    rows = {row["iri"]: row for row in list_devices(registry)}
    assert len(rows) == len(ids)
    for i, thing_id in enumerate(ids):
        iri = device_iri(device_id(thing_id))
        assert rows[iri]["name"] == f"board {i}" and _same_as(registry, iri) == {thing_id}
    # each is found by its own id, its identifier or its IRI, and by no other's
    for thing_id in ids:
        iri = device_iri(device_id(thing_id))
        for ref in (thing_id, device_id(thing_id), iri):
            assert (rdflib.URIRef(iri), SCHEMA.identifier, None) in show_device(registry, ref)


def test_the_agent_tells_such_devices_apart(tmp_path):
    # a device checks the device IRI of each manifest: ids that slug alike must not share one
    trust = Ed25519PrivateKey.generate().public_key()
    devices = Device.from_tds([{**TD, "id": i} for i in ("urn:a:b", "urn-a:b", "URN:A:B")],
                              None, tmp_path, trust)
    assert len({d.iri for d in devices}) == len({d.slug for d in devices}) == 3


def test_adding_again_lands_on_the_same_device(registry, tmp_path):
    add_device(registry, td("urn:dev:again", "first"), "a.jsonld")
    folder = tmp_path / "again"
    folder.mkdir()
    (folder / "a.jsonld").write_bytes(td("urn:dev:again", "second"))
    import_dir(registry, folder)
    assert [(r["iri"], r["name"]) for r in list_devices(registry)] == [
        (device_iri(device_id("urn:dev:again")), "second")]


@pytest.mark.parametrize("way", ["add", "import"])
def test_a_device_registered_under_an_older_identifier_is_found_by_its_source(registry, tmp_path, way):
    # What the minting before the digests gave this TD: its slug alone.
    old = DEVICE_BASE + "urn-dev-ops-kws-node-17"
    text = (DATA / "devices" / "td11-tinyml.jsonld").read_bytes()
    new = add_device(registry, text, "td.jsonld").devices[0]
    graph = registry.store.get_graph(new).serialize(format="nt").replace(f"<{new}>", f"<{old}>")
    registry.store.delete_graph(new)
    registry.store.put_graph(old, graph)
    if way == "add":
        assert add_device(registry, text.replace(b"line 3", b"line 4"), "td.jsonld").devices == [old]
    else:
        (tmp_path / "td.jsonld").write_bytes(text.replace(b"line 3", b"line 4"))
        assert import_dir(registry, tmp_path)[0].devices == [old]
    assert [(r["iri"], r["id"], r["name"]) for r in list_devices(registry)] == [
        (old, "urn-dev-ops-kws-node-17", "Keyword spotter, line 4")]


A, B = "http://example.org/a#nano", "http://example.org/b#nano"  # both are "nano" to a slug


def test_an_identifier_another_source_owns_is_refused_when_added(registry):
    add_device(registry, prototype_device(A, "first"), "a.ttl")
    with pytest.raises(Conflict) as refused:
        add_device(registry, prototype_device(B, "second"), "b.ttl")
    assert refused.value.status == 409
    assert refused.value.detail == (f"b.ttl: {B} would be device nano, which is already the "
                                    f"device of {A}; give one of them another id")
    assert [r["name"] for r in list_devices(registry)] == ["first"]


def test_an_identifier_another_source_owns_is_refused_in_an_import(registry, tmp_path):
    add_device(registry, prototype_device(A, "first"), "a.ttl")
    (tmp_path / "b.ttl").write_bytes(prototype_device(B, "second"))
    (tmp_path / "c.jsonld").write_bytes(td("urn:dev:c"))
    results = import_dir(registry, tmp_path)
    assert [r.ok for r in results] == [False, True]
    assert results[0].error.startswith(f"{B} would be device nano, which is already the device of {A}")
    assert sorted(r["name"] for r in list_devices(registry)) == ["A board", "first"]


def test_two_sources_of_one_identifier_in_one_import_keep_the_first(registry, tmp_path):
    (tmp_path / "a.ttl").write_bytes(prototype_device(A, "first"))
    (tmp_path / "b.ttl").write_bytes(prototype_device(B, "second"))
    results = import_dir(registry, tmp_path)
    assert [r.ok for r in results] == [True, False] and A in results[1].error
    assert [r["name"] for r in list_devices(registry)] == ["first"]


def test_an_identifier_another_source_owns_is_a_409_problem_on_the_api(registry):
    view = Registry(registry.settings.with_overrides(write_token="t0k3n"), store=registry.store)
    client = create_app({"TESTING": True}, registry=view).test_client()
    auth = {"Authorization": "Bearer t0k3n"}
    first = client.post("/api/devices?filename=a.ttl", data=prototype_device(A, "first"), headers=auth)
    assert first.status_code == 201
    answer = client.post("/api/devices?filename=b.ttl", data=prototype_device(B, "second"), headers=auth)
    problem = answer.get_json()
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    assert (problem["title"], problem["source"], problem["owner"]) == ("Conflict", B, A)
    assert A in problem["detail"] and B in problem["detail"]


def test_an_identifier_another_source_owns_is_one_line_on_the_command_line(invoke, tmp_path):
    for name, iri in (("a.ttl", A), ("b.ttl", B)):
        (tmp_path / name).write_bytes(prototype_device(iri, name))
    assert invoke("device", "add", tmp_path / "a.ttl").exit_code == 0
    refused = invoke("device", "add", tmp_path / "b.ttl")
    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [
        f"Error: {tmp_path / 'b.ttl'}: {B} would be device nano, which is already the device "
        f"of {A}; give one of them another id"]
