"""Figures of a model version on one runtime or NPU: measured here, or reported by a vendor.

The same model needs different RAM and flash under X-CUBE-AI, microTVM or TFLM, and very
different ones on an Ethos-U NPU. A version keeps one `tr:RuntimeFigure` per runtime (or per
NPU configuration), each with its basis and source ("declared", "X-CUBE-AI 10.2"); the
compatibility shapes take the figure for the runtime or NPU a device has, else TFLM's
measured arena (shapes/compatibility.ttl). Entering a figure again for the same runtime or
NPU configuration replaces the one before.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import URIRef

from ..errors import Invalid, NotFound
from ..store import IRI
from ..tflite.vela import NPUS, NpuConfig, VelaResult, compile_for_npu
from ..vocab import local_name, prefixes
from .artifacts import read_artifact
from .figure import (BASES, RUNTIMES, RuntimeFigure, add_figure_triples, runtime_iri,
                     vela_figure)
from ..references import resolve_model

if TYPE_CHECKING:
    from ..core import Registry

__all__ = ["BASES", "RUNTIMES", "RuntimeFigure", "add_figure", "add_figure_triples",
           "device_npu_configs", "measure_on_device_npus", "runtime_iri", "vela_figure"]


def add_figure(registry: Registry, ref: str, figure: RuntimeFigure) -> str:
    """Records `figure` on the version `ref` names; returns the version's IRI."""
    iri = resolve_model(registry, ref)
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
    iri = resolve_model(registry, ref)
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
