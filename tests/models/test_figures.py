"""Figures per runtime and per NPU: a vendor's figure entered with its source, and Arm's Vela
for an Ethos-U55; the compatibility shapes take the figure for what the device has, else
TFLM's measurement, and say which."""
from __future__ import annotations

import pytest
import rdflib

from tinyreg.registry import compat
from tinyreg.registry.compat.results import VIOLATION
from tinyreg.registry.models import register_model, show_model
from tinyreg.registry.models.figures import (RuntimeFigure, add_figure, measure_on_device_npus,
                                             runtime_iri)
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import TR

DEVICE = "https://w3id.org/tinyreg/id/device/{}"
FALLBACK = "measured on TFLM, no figure for the device's runtime or NPU"


def _board(name: str, ram: int, runtime: str = "TFLM", npu: str = "") -> tuple[str, rdflib.Graph]:
    iri = DEVICE.format(name)
    return iri, rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{iri}> a tr:MicrocontrollerBoard ; tr:ramBytes {ram} ; tr:flashBytes 4194304 ;
            tr:hasProcessor [ a tr:Microcontroller ; tr:hasFPU true {npu} ] ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:{runtime} ; tr:ramOverheadBytes 0 ;
                            tr:codeBytes 0 ] .""")


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
    registry.store.put_graphs(dict([board, tflm_board]))
    # X-CUBE-AI's figure fits exactly; TFLM's own measurement would not.
    assert _both(registry, model, stm).fits
    verdict = _both(registry, model, tflm)
    assert not verdict.fits
    [ram] = _ram_result(verdict)
    assert ram.message.startswith(f"needs {arena:,} B of RAM ({FALLBACK}); ")
    # A smaller STM32 device: the message names the vendor's figure and its source.
    small, _ = small_board = _board("stm-small", vendor_ram - 1, runtime="XCubeAI")
    registry.store.put_graphs(dict([small_board]))
    [short] = _ram_result(_both(registry, model, small))
    assert short.message.startswith(f"needs {vendor_ram:,} B of RAM (declared by X-CUBE-AI 10.2); ")


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
                f"needs {result.sram_bytes:,} B of RAM (estimated by {source}); ")
    # Another MAC configuration is another compilation: TFLM's figure stands in, named.
    other, graph = _board("u55-256", result.sram_bytes, npu=U55.format(macs=256))
    registry.store.put_graphs({other: graph})
    [ram] = _ram_result(_both(registry, model, other))
    assert ram.message.startswith(f"needs {arena:,} B of RAM ({FALLBACK}); ")


def test_vela_needs_the_npus_configuration(registry, vision):
    model, _ = vision
    bare, graph = _board("u55-bare", 65536, npu="; tr:hasNPU tr:EthosU55")
    registry.store.put_graphs({bare: graph})
    from tinyreg.registry.errors import Invalid
    with pytest.raises(Invalid, match="MAC configuration"):
        measure_on_device_npus(registry, model, bare)
