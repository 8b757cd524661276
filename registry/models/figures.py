"""Figures of a model version on one runtime or NPU: measured here, or reported by a vendor.

The same model needs different RAM and flash under X-CUBE-AI, microTVM or TFLM, and very
different ones on an Ethos-U NPU. A version keeps one `tr:RuntimeFigure` per runtime (or per
NPU configuration), each with its basis and source ("declared", "X-CUBE-AI 10.2"); the
compatibility shapes take the figure for the runtime or NPU a device has, else TFLM's
measured arena (shapes/compatibility.ttl). Entering a figure again for the same runtime or
NPU configuration replaces the one before.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..core import Registry
from ..errors import Invalid, NotFound
from ..store import IRI
from ..tflite.vela import NPUS, NpuConfig, VelaResult, compile_for_npu
from ..vocab import TR, local_name, prefixes, slug
from .artifacts import read_artifact
from .register import resolve_version

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
        if self.latency_ms is not None and not self.latency_ms >= 0:
            raise Invalid("latency must be a non-negative number of milliseconds")


def runtime_iri(word: str) -> URIRef:
    key = slug(word.replace(".", "-"))
    if key not in RUNTIMES:
        raise Invalid(f"unknown runtime {word!r}; known: {', '.join(sorted(RUNTIMES))}")
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


def add_figure(registry: Registry, ref: str, figure: RuntimeFigure) -> str:
    """Records `figure` on the version `ref` names; returns the version's IRI."""
    iri = resolve_version(registry, ref)
    graph = registry.store.get_graph(iri)
    add_figure_triples(graph, URIRef(iri), figure)
    registry.store.put_graph(iri, graph)
    return iri


_DEVICE_NPUS = prefixes("tr") + """
SELECT ?npu ?macs ?mode WHERE {
  { ?d tr:hasProcessor ?p . ?p tr:hasNPU ?npu . OPTIONAL { ?p tr:npuMacs ?macs }
    OPTIONAL { ?p tr:npuMemoryMode ?mode } }
  UNION { ?d tr:hasNPU ?npu . OPTIONAL { ?d tr:npuMacs ?macs } OPTIONAL { ?d tr:npuMemoryMode ?mode } }
}"""
_ARTIFACT = prefixes("tr") + """
SELECT ?sha WHERE { ?v tr:artifact/tr:sha256 ?sha }"""


def device_npu_configs(registry: Registry, device_iri: str) -> list[NpuConfig]:
    """The Ethos-U configurations of a device's processors (each needs its MACs and memory
    mode stated: Vela's figures differ with both)."""
    if not registry.store.has_graph(device_iri):
        raise NotFound(f"no device {device_iri}")
    configs = []
    for row in registry.store.select(_DEVICE_NPUS, {"d": IRI(device_iri)}):
        npu = local_name(row["npu"])
        if npu not in NPUS:
            continue
        if row["macs"] is None or row["mode"] is None:
            raise Invalid(f"the device's {npu} states no MAC configuration (tr:npuMacs) or "
                          f"memory mode (tr:npuMemoryMode): Vela needs both")
        configs.append(NpuConfig(npu, int(row["macs"]), str(row["mode"])))
    return list(dict.fromkeys(configs))


def measure_on_device_npus(registry: Registry, ref: str, device_iri: str) -> list[VelaResult]:
    """Compiles the version for each Ethos-U configuration of the device with Vela and records
    each result as a figure of the version."""
    iri = resolve_version(registry, ref)
    configs = device_npu_configs(registry, device_iri)
    if not configs:
        raise Invalid(f"device {device_iri} has no Ethos-U NPU")
    rows = registry.store.select(_ARTIFACT, {"v": IRI(iri)})
    if not rows:
        raise Invalid(f"{iri} has no stored file to compile")
    data = read_artifact(registry.artifacts_path, rows[0]["sha"])
    s = registry.settings
    results = [compile_for_npu(data, c, timeout_s=s.measure_timeout_s,
                               max_memory=s.measure_memory_mb * 1024 * 1024) for c in configs]
    for result in results:
        add_figure(registry, iri, vela_figure(result))
    return results
