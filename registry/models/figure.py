"""One figure of a model version on one runtime or NPU, and how it is written in the version's
graph: a `tr:RuntimeFigure` with its basis and source ("declared", "X-CUBE-AI 10.2").

Kept apart from figures.py (which records figures on stored versions and runs Vela) so that
a model card can carry figures too: the card is read before anything is stored.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..devices.facts import MAX_DEVICE_BYTES
from ..errors import Invalid
from ..tflite.vela import NpuConfig, VelaResult
from ..vocab import TR, slug


# What a person may call each runtime a vendor figure is for.
RUNTIMES = {
    "tflm": TR.TFLM, "tflite-micro": TR.TFLM, "litert": TR.LiteRT, "tflite": TR.LiteRT,
    "x-cube-ai": TR.XCubeAI, "stm32cube-ai": TR.XCubeAI, "stedgeai": TR.XCubeAI,
    "plumerai": TR.Plumerai, "microtvm": TR.MicroTVM, "hale": TR.BoschHALE,
    "bosch-hale": TR.BoschHALE, "onnc": TR.ONNC,
}
BASES = ("measured", "declared", "estimated")


@dataclass(frozen=True)
class RuntimeFigure:
    runtime: URIRef | None  # the runtime the figure is for, or
    npu: NpuConfig | None  # the NPU configuration it is for
    basis: str  # measured, declared or estimated
    source: str  # who reported it, e.g. "X-CUBE-AI 10.2"
    ram_bytes: int | None = None
    flash_bytes: int | None = None
    latency_ms: float | None = None
    npu_share: float | None = None  # of the model's operators, the share Vela put on the NPU
    cycles: int | None = None

    def __post_init__(self):
        if (self.runtime is None) == (self.npu is None):
            raise Invalid("a figure is for one runtime or one NPU configuration")
        if self.basis not in BASES:
            raise Invalid(f"a figure's basis is one of {', '.join(BASES)}, not {self.basis!r}")
        if not self.source.strip():
            raise Invalid("a figure needs its source (the tool and version that reported it)")
        if self.ram_bytes is None and self.flash_bytes is None and self.latency_ms is None:
            raise Invalid("a figure needs RAM, flash or latency")
        for name in ("ram_bytes", "flash_bytes", "cycles"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise Invalid(f"{name.replace('_', ' ')} must be a non-negative whole number")
            if value is not None and name != "cycles" and value > MAX_DEVICE_BYTES:
                raise Invalid(f"{name.replace('_', ' ')} is beyond any device "
                              f"(at most {MAX_DEVICE_BYTES:,} bytes)")
        if self.latency_ms is not None and not 0 <= self.latency_ms < math.inf:
            raise Invalid("latency must be a non-negative number of milliseconds")


def runtime_iri(word: str) -> URIRef:
    try:
        key = slug(word.replace(".", "-"))
    except ValueError:  # nothing of it is left in a slug: no runtime is named so
        key = ""
    if key not in RUNTIMES:
        raise Invalid(f"unknown runtime {word[:40]!r}; known: {', '.join(sorted(RUNTIMES))}")
    return RUNTIMES[key]


def vela_figure(result: VelaResult) -> RuntimeFigure:
    if not result.compiled:
        raise Invalid(f"Vela did not compile the model for {result.config.accelerator}: "
                      f"{result.reason}")
    c = result.config
    return RuntimeFigure(
        runtime=None, npu=c, basis="estimated",
        source=f"Vela {result.vela_version} ({c.accelerator}, {c.memory_mode}, "
               f"{c.system_config})",
        ram_bytes=result.sram_bytes, flash_bytes=result.flash_bytes,
        latency_ms=result.inference_s * 1000, npu_share=result.npu_share, cycles=result.cycles)


def _same_target(g: Graph, node, figure: RuntimeFigure) -> bool:
    if figure.runtime is not None:
        return g.value(node, TR.onRuntime) == figure.runtime
    c = figure.npu
    return (g.value(node, TR.onNPU) == TR[c.npu] and g.value(node, TR.npuMacs) is not None
            and g.value(node, TR.npuMacs).toPython() == c.macs
            and str(g.value(node, TR.npuMemoryMode)) == c.memory_mode)


def _int(value: int) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def add_figure_triples(g: Graph, version: URIRef, figure: RuntimeFigure) -> None:
    for old in [n for n in g.objects(version, TR.runtimeFigure) if _same_target(g, n, figure)]:
        g.remove((version, TR.runtimeFigure, old))
        g.remove((old, None, None))
    node = BNode()
    g.add((version, TR.runtimeFigure, node))
    g.add((node, RDF.type, TR.RuntimeFigure))
    if figure.runtime is not None:
        g.add((node, TR.onRuntime, figure.runtime))
    else:
        g.add((node, TR.onNPU, TR[figure.npu.npu]))
        g.add((node, TR.npuMacs, _int(figure.npu.macs)))
        g.add((node, TR.npuMemoryMode, Literal(figure.npu.memory_mode)))
    g.add((node, TR.figureBasis, Literal(figure.basis)))
    g.add((node, TR.figureSource, Literal(figure.source)))
    for prop, value in ((TR.figureRamBytes, figure.ram_bytes),
                        (TR.figureFlashBytes, figure.flash_bytes),
                        (TR.npuCycles, figure.cycles)):
        if value is not None:
            g.add((node, prop, _int(value)))
    for prop, value in ((TR.figureLatencyMs, figure.latency_ms),
                        (TR.npuOperatorShare, figure.npu_share)):
        if value is not None:
            g.add((node, prop, Literal(float(value), datatype=XSD.double)))
