"""Figures per runtime and per NPU: a vendor's figure entered with its source, and Arm's Vela
for an Ethos-U55; the compatibility shapes take the figure for what the device has, else
TFLM's measurement, and say which."""
from __future__ import annotations

import re

import pytest
import rdflib

from tinyreg.registry import compat
from tinyreg.registry.compat.results import VIOLATION
from tinyreg.registry.models import register_model, show_model
from tinyreg.registry.models.figures import (RuntimeFigure, add_figure, measure_on_device_npus,
                                             runtime_iri)
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import TR, local_name

DEVICE = "https://w3id.org/tinyreg/id/device/{}"
FALLBACK = "measured on TFLM, no figure for the device's runtime or NPU"


def _board(name: str, ram: int, runtime: str = "TFLM", npu: str = "") -> tuple[str, rdflib.Graph]:
    iri = DEVICE.format(name)
    return iri, rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{iri}> a tr:MicrocontrollerBoard ; tr:usableRamBytes {ram} ; tr:usableFlashBytes 4194304 ;
            tr:hasProcessor [ a tr:Microcontroller ; tr:hasFPU true {npu} ] ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:{runtime} ; tr:runtimeRamBytes 0 ;
                            tr:runtimeCodeBytes 0 ] .""")


def _ram_result(verdict):
    return [r for r in verdict.results if r.constraint.endswith("#RamFit")]


@pytest.fixture
def vision(registry):
    result = register_model(registry, writer.vision(size=32), {"name": "Vision"})
    arena = show_model(registry, result.iri)["arena"]
    return result.iri, arena


def _both(registry, model, device):
    engine, shacl = compat.check(registry, model, device), compat.check_shacl(registry, model, device)
    key = [(r.severity, r.constraint, r.message) for r in engine.results]
    assert key == [(r.severity, r.constraint, r.message) for r in shacl.results]
    assert engine.fits == shacl.fits
    return engine


def test_a_vendor_figure_decides_on_devices_with_that_runtime(registry, vision):
    model, arena = vision
    vendor_ram = arena // 2
    add_figure(registry, model, RuntimeFigure(
        runtime=runtime_iri("X-CUBE-AI"), npu=None, basis="declared", source="X-CUBE-AI 10.2",
        ram_bytes=vendor_ram, flash_bytes=172032))
    stm, _ = board = _board("stm", vendor_ram, runtime="XCubeAI")
    tflm, _ = tflm_board = _board("tflm", vendor_ram)
    plumerai, _ = plumerai_board = _board("plumerai", vendor_ram, runtime="Plumerai")
    registry.store.put_graphs(dict([board, tflm_board, plumerai_board]))
    # X-CUBE-AI's figure fits exactly; TFLM's own measurement would not.
    assert _both(registry, model, stm).fits
    verdict = _both(registry, model, tflm)
    assert not verdict.fits
    # On a TFLM device the measurement is its runtime's own figure...
    [ram] = _ram_result(verdict)
    assert ram.message.startswith(f"needs {arena:,} B of RAM: {arena:,} B tensor arena (measured) + ")
    # ...on a device whose runtime has no figure, it stands in, and the verdict says so.
    [ram] = _ram_result(_both(registry, model, plumerai))
    assert ram.message.startswith(f"needs {arena:,} B of RAM: {arena:,} B tensor arena ({FALLBACK}) + ")
    # A smaller STM32 device: the message names the vendor's figure and its source.
    small, _ = small_board = _board("stm-small", vendor_ram - 1, runtime="XCubeAI")
    registry.store.put_graphs(dict([small_board]))
    [short] = _ram_result(_both(registry, model, small))
    assert short.message.startswith(f"needs {vendor_ram:,} B of RAM: {vendor_ram:,} B tensor arena (declared by X-CUBE-AI 10.2) + ")


def test_figures_from_the_command_line(invoke, tmp_path):
    path = tmp_path / "vision.tflite"
    path.write_bytes(writer.fully_connected())
    assert invoke("model", "add", path).exit_code == 0
    added = invoke("model", "figure", "vision", "--runtime", "x-cube-ai", "--ram", 41210,
                   "--flash", 172032, "--source", "X-CUBE-AI 10.2")
    assert added.exit_code == 0, added.output
    assert "RAM 41,210 B, flash 172,032 B; declared by X-CUBE-AI 10.2" in added.output
    shown = invoke("model", "show", "vision")
    assert "on XCubeAI: RAM 41,210 B, flash 172,032 B (declared by X-CUBE-AI 10.2)" in shown.output
    unknown = invoke("model", "figure", "vision", "--runtime", "nope", "--ram", 1, "--source", "x")
    assert unknown.exit_code == 2 and "unknown runtime 'nope'" in unknown.output
    empty = invoke("model", "figure", "vision", "--runtime", "plumerai", "--source", "Plumerai")
    assert empty.exit_code == 2 and "needs RAM, flash or latency" in empty.output
    assert "Traceback" not in unknown.output + empty.output


U55 = '; tr:hasNPU tr:EthosU55 ; tr:npuMacs {macs} ; tr:npuMemoryMode "Shared_Sram"'


def test_an_ethos_u55_device_gets_a_verdict_from_velas_figures(registry, vision):
    model, arena = vision
    npu_board, graph = _board("u55", 65536, npu=U55.format(macs=128))
    registry.store.put_graphs({npu_board: graph})
    [result] = measure_on_device_npus(registry, model, npu_board)
    assert result.compiled and result.config.accelerator == "ethos-u55-128"
    assert 0 < result.sram_bytes < arena and result.flash_bytes > 0 and result.cycles > 0
    assert result.npu_share == 1.0  # every operator of this model runs on the NPU
    source = (f"Vela {result.vela_version} (ethos-u55-128, Shared_Sram, "
              f"Ethos_U55_High_End_Embedded)")
    # Enough SRAM for Vela's plan, not for TFLM's arena: fits, from Vela's figure.
    for ram, fits in ((result.sram_bytes, True), (result.sram_bytes - 1, False)):
        iri, graph = _board(f"u55-{ram}", ram, npu=U55.format(macs=128))
        registry.store.put_graphs({iri: graph})
        verdict = _both(registry, model, iri)
        assert verdict.fits is fits
        if not fits:
            [short] = [r for r in _ram_result(verdict) if r.severity == VIOLATION]
            assert short.message.startswith(
                f"needs {result.sram_bytes:,} B of RAM: {result.sram_bytes:,} B tensor arena (estimated by {source}) + ")
    # Another MAC configuration is another compilation: TFLM's figure stands in, named.
    other, graph = _board("u55-256", result.sram_bytes, npu=U55.format(macs=256))
    registry.store.put_graphs({other: graph})
    [ram] = _ram_result(_both(registry, model, other))
    assert ram.message.startswith(f"needs {arena:,} B of RAM: {arena:,} B tensor arena ({FALLBACK}) + ")


def test_vela_needs_the_npus_configuration(registry, vision):
    model, _ = vision
    bare, graph = _board("u55-bare", 65536, npu="; tr:hasNPU tr:EthosU55")
    registry.store.put_graphs({bare: graph})
    from tinyreg.registry.errors import Invalid
    with pytest.raises(Invalid, match="MAC configuration"):
        measure_on_device_npus(registry, model, bare)


def test_figures_from_a_model_card(registry, tmp_path):
    from tinyreg.registry.models import register_file
    model = tmp_path / "vision.tflite"
    model.write_bytes(writer.vision(size=32))
    (tmp_path / "vision.yaml").write_text("""
name: Vision
figures:
  - runtime: X-CUBE-AI
    source: X-CUBE-AI 10.2 report
    ram_bytes: 41210
    flash_bytes: 172032
    latency_ms: 12.5
  - runtime: plumerai
    source: Plumerai benchmark
    basis: measured
    ram_bytes: 30000
""")
    result = register_file(registry, model, {})
    figures = {local_name(f["runtime"]): f for f in show_model(registry, result.iri)["figures"]}
    assert (figures["XCubeAI"]["ram"], figures["XCubeAI"]["flash"], figures["XCubeAI"]["latency"],
            figures["XCubeAI"]["basis"], figures["XCubeAI"]["source"]) == (
        41210, 172032, 12.5, "declared", "X-CUBE-AI 10.2 report")
    assert (figures["Plumerai"]["ram"], figures["Plumerai"]["basis"]) == (30000, "measured")
    small, graph = _board("stm-card", 41209, runtime="XCubeAI")
    registry.store.put_graphs({small: graph})
    [short] = _ram_result(_both(registry, result.iri, small))
    assert short.message.startswith(
        "needs 41,210 B of RAM: 41,210 B tensor arena (declared by X-CUBE-AI 10.2 report) + ")


@pytest.mark.parametrize("figure, message", [
    ({"runtime": "x-cube-ai", "ram_bytes": 1}, "has no the model card.figures[0].source"),
    ({"runtime": "tensorflow-everywhere", "source": "x", "ram_bytes": 1}, "unknown runtime"),
    ({"runtime": "onnc", "source": "x"}, "needs RAM, flash or latency"),
    ({"runtime": "onnc", "source": "x", "ram_bytes": "lots"}, "not a whole number"),
    ({"runtime": "onnc", "source": "x", "ram_bytes": 2**50}, "beyond any device"),
    ({"runtime": "onnc", "source": "x", "ram_bytes": 1, "basis": "guessed"}, "basis"),
    ({"runtime": "onnc", "source": "x", "ram_kb": 1}, "unknown field(s) ram_kb"),
])
def test_bad_figures_in_a_card_are_refused_before_measuring(registry, figure, message):
    from tinyreg.registry.errors import Invalid
    from tinyreg.registry.models import card_from_mapping
    with pytest.raises(Invalid, match=re.escape(message)):
        card_from_mapping({"name": "x", "figures": [figure]})


def test_litert_ram_is_measured_here_and_decides_on_litert_devices(registry, vision):
    model, arena = vision
    [litert] = [f for f in show_model(registry, model)["figures"]
                if local_name(f["runtime"]) == "LiteRT"]
    assert litert["basis"] == "measured" and litert["source"].startswith("LiteRT ")
    # The interpreter's heap plus the model it reads: more than the file, and than TFLM's arena.
    size = show_model(registry, model)["size"]
    assert litert["ram"] > size and litert["ram"] > arena
    iri = DEVICE.format("gateway")
    gateway = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{iri}> a tr:LinuxDevice ; tr:usableRamBytes {litert["ram"] - 1} ;
            tr:hasProcessor [ a tr:ApplicationProcessor ; tr:hasFPU true ] ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:LiteRT ; tr:runtimeRamBytes 0 ] .""")
    registry.store.put_graphs({iri: gateway})
    [short] = _ram_result(_both(registry, model, iri))
    assert short.message.startswith(f"needs {litert['ram']:,} B of RAM: {litert['ram']:,} B tensor arena (measured by LiteRT ")


def test_the_model_page_and_api_show_each_figure_with_its_basis(registry, vision):
    from tinyreg.web.app import create_app
    model, _ = vision
    add_figure(registry, model, RuntimeFigure(
        runtime=runtime_iri("microtvm"), npu=None, basis="estimated", source="microTVM AoT 0.16",
        ram_bytes=30000))
    client = create_app({"TESTING": True}, registry=registry).test_client()
    figures = {f["runtime"]: f for f in client.get("/api/models/vision").get_json()["figures"]}
    assert (figures["MicroTVM"]["ram_bytes"], figures["MicroTVM"]["basis"],
            figures["MicroTVM"]["source"]) == (30000, "estimated", "microTVM AoT 0.16")
    assert figures["LiteRT"]["basis"] == "measured"
    page = client.get("/models/vision").get_data(as_text=True)
    section = page[page.index('id="figures"'):]
    assert '<span class="tag basis-estimated">estimated</span></td><td>microTVM AoT 0.16' in section
    assert '<span class="tag basis-measured">measured</span></td><td>LiteRT ' in section
