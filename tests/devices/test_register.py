"""Devices into the store through the core functions and the `tinyreg device` commands."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tinyreg.registry.devices.register import (
    add_device, import_dir, iter_files, iter_paths, list_devices, show_device)
from tinyreg.registry.errors import Invalid, NotFound
from tinyreg.registry.vocab import TR, device_id, device_iri

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"
GOOD = ("td11-tinyml.jsonld", "td10-plain.jsonld", "nano33ble.json", "zephyr-nrf5340dk.yaml")


@pytest.fixture
def mixed_dir(tmp_path):
    """Good files, bad files and a README, the way a real folder of device files looks."""
    folder = tmp_path / "fleet"
    (folder / "bad").mkdir(parents=True)
    for name in GOOD:
        shutil.copy(DATA / name, folder / name)
    for bad in (DATA / "bad").iterdir():
        shutil.copy(bad, folder / "bad" / bad.name)
    (folder / "README.md").write_text("not a device\n")
    return folder


def test_partial_import_reports_each_file_and_writes_only_whole_devices(registry, mixed_dir):
    seen = []
    results = import_dir(registry, mixed_dir, progress=seen.append)
    assert len(seen) == len(results) == len(GOOD) + len(list((DATA / "bad").iterdir()))
    failed = {Path(r.path).name: r.error for r in results if not r.ok}
    assert set(failed) == {p.name for p in (DATA / "bad").iterdir()}
    assert all(failed.values())
    ids = {row["id"] for row in list_devices(registry)}
    assert ids == {device_id("urn:dev:ops:kws-node-17"), device_id("urn:dev:ops:lamp-42"),
                   "platformio-nano33ble", device_id("zephyr-nrf5340dk/nrf5340/cpuapp")}
    assert ids == {"urn-dev-ops-kws-node-17--gq26unzx", "urn-dev-ops-lamp-42--44q2t4r4",
                   "platformio-nano33ble", "zephyr-nrf5340dk-nrf5340-cpuapp--nlyqk5zp"}
    # nothing at all from a refused file: its device graph is not there
    with pytest.raises(NotFound):
        show_device(registry, "urn:dev:ops:absurd")


def test_adding_again_replaces_the_device_graph(registry):
    data = (DATA / "td11-tinyml.jsonld").read_bytes()
    add_device(registry, data, "td11-tinyml.jsonld")
    add_device(registry, data.replace(b"262144", b"131072"), "td11-tinyml.jsonld")
    graph = show_device(registry, device_iri(device_id("urn:dev:ops:kws-node-17")))
    assert [o.toPython() for o in graph.objects(None, TR.usableRamBytes)] == [131072]


def test_add_refuses_a_bad_file_naming_it(registry):
    with pytest.raises(Invalid, match="negative-ram.json: RAM is negative"):
        add_device(registry, (DATA / "bad" / "negative-ram.json").read_bytes(), "negative-ram.json")


def test_cli_add_list_show(invoke):
    result = invoke("device", "add", DATA / "nano33ble.json")
    assert result.exit_code == 0 and device_iri("platformio-nano33ble") in result.output
    listed = invoke("device", "list", "--format", "csv")
    assert "platformio-nano33ble,Arduino Nano 33 BLE,MicrocontrollerBoard,262144,983040,CortexM4F" in listed.output
    shown = invoke("device", "show", "platformio-nano33ble")
    assert "tr:usableRamBytes 262144" in shown.output


def test_cli_import_reports_each_file_and_fails_when_one_did(invoke, mixed_dir):
    result = invoke("device", "import", mixed_dir)
    assert result.exit_code == 2
    assert "ok      nano33ble.json: platformio, 1 device(s)" in result.output
    assert "failed  bad/negative-ram.json: RAM is negative" in result.output
    assert f"{len(GOOD)} of {len(GOOD) + len(list((DATA / 'bad').iterdir()))} files imported" in result.output


def test_cli_errors_are_one_line(invoke):
    result = invoke("device", "add", DATA / "bad" / "invalid.json")
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error:") and len(result.output.strip().splitlines()) == 1
    assert invoke("device", "show", "no-such-board").exit_code == 2


def test_directory_listing_order_and_what_it_leaves_out(tmp_path):
    root = tmp_path / "fleet"
    for name in ("b/z.json", "a/x.YAML", "a.json", ".git/config.json", "c/.hidden.json",
                 "c/notes.txt", "c/d/e.ttl", "c/m.jsonld"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "far.json").write_text("{}")
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "alias.json").symlink_to(root / "a.json")
    listed = [str(Path(p).relative_to(root)) for p in iter_paths(str(root))]
    # sorted as paths are (a folder's files come where its name sorts), suffixes in any case
    assert listed == ["a/x.YAML", "a.json", "alias.json", "b/z.json", "c/d/e.ttl", "c/m.jsonld"]
    assert [str(p) for p in iter_files(root)] == [str(root / p) for p in listed]


XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


def test_device_list_gives_one_row_per_device_whatever_its_graph_states_twice(registry):
    iri = device_iri("twice-stated")
    tr, schema = str(TR), "https://schema.org/"
    registry.store.put_graphs({iri: f"""
<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{tr}Device> .
<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{tr}MicrocontrollerBoard> .
<{iri}> <{schema}identifier> "twice-stated" .
<{iri}> <{schema}name> "Twice stated" .
<{iri}> <{tr}sourceFormat> "turtle" .
<{iri}> <{tr}usableRamBytes> "262144"^^<{XSD_INT}> .
<{iri}> <{tr}usableRamBytes> "131072"^^<{XSD_INT}> .
<{iri}> <{tr}hasProcessor> _:m4 .
_:m4 <{tr}core> <{tr}CortexM4F> .
<{iri}> <{tr}hasProcessor> _:m0 .
_:m0 <{tr}core> <{tr}CortexM0Plus> .
<{iri}> <{tr}incomplete> "no flash figure" .
<{iri}> <{tr}incomplete> "no clock" .
""", device_iri("no-format"): f"""
<{device_iri("no-format")}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{tr}Device> .
<{device_iri("no-format")}> <{schema}identifier> "no-format" .
<{device_iri("no-format")}> <{schema}name> "No format" .
"""})
    assert list_devices(registry) == [{
        "id": "twice-stated", "name": "Twice stated", "kind": "MicrocontrollerBoard",
        "ram": 131072, "flash": None, "core": "CortexM0Plus", "format": "turtle",
        "incomplete": "no clock; no flash figure", "iri": iri}]
