"""Reads what `estimate` needs from the registry: a model version's operator mix and a
device's core, clock, runtimes and NPU.

The operator mix is counted from the version's own .tflite file in the artifact store (the
graph records MACs in total, not per operator). The device facts are the contract triples
every device importer writes (registry/devices/facts.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotFound
from ..models.artifacts import read_artifact
from ..store import IRI
from ..vocab import local_name, prefixes
from .estimator import DeviceFacts, ModelFacts
from .families import core_family_of_iri
from .workload import workload_of_tflite

if TYPE_CHECKING:
    from ..core import Registry

_MODEL = prefixes("tr", "schema") + """
SELECT ?sha ?name WHERE {
  GRAPH ?v { ?v tr:artifact/tr:sha256 ?sha . OPTIONAL { ?v schema:identifier ?name } }
}
"""

_DEVICE = prefixes("tr", "schema") + """
SELECT ?name ?core ?clock ?npu ?runtime WHERE {
  GRAPH ?d {
    OPTIONAL { ?d schema:identifier ?name }
    OPTIONAL { ?d tr:hasProcessor ?p .
               OPTIONAL { ?p tr:core ?core } OPTIONAL { ?p tr:clockHz ?clock }
               OPTIONAL { ?p tr:hasNPU ?npu } }
    OPTIONAL { ?d tr:hasRuntime/tr:runtime ?runtime }
  }
}
"""


def model_facts(registry: Registry, version_iri: str) -> ModelFacts:
    rows = registry.store.select(_MODEL, {"v": IRI(version_iri)})
    if not rows:
        raise NotFound(f"model version {version_iri} has no stored artifact")
    data = read_artifact(registry.artifacts_path, str(rows[0]["sha"]))
    name = str(rows[0]["name"]) if rows[0].get("name") else local_name(version_iri)
    return ModelFacts(name, workload_of_tflite(data, max_bytes=len(data)), data)


def device_facts(registry: Registry, device_iri: str) -> DeviceFacts:
    rows = registry.store.select(_DEVICE, {"d": IRI(device_iri)})
    first = rows[0] if rows else {}
    cores = {core_family_of_iri(r["core"]) for r in rows if r.get("core")} - {None}
    clocks = [int(r["clock"]) for r in rows if r.get("clock")]
    runtimes = tuple(dict.fromkeys(local_name(r["runtime"]) for r in rows if r.get("runtime")))
    npus = [local_name(r["npu"]) for r in rows if r.get("npu")]
    return DeviceFacts(
        name=str(first.get("name") or local_name(device_iri)),
        core_family=min(cores) if cores else None,
        clock_hz=max(clocks) if clocks else None,
        runtimes=runtimes, npu=npus[0] if npus else None)
