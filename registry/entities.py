"""Read-only views of one device or one model version, shared by the API and the dashboard.

The registration modules give the headline facts (`show_model`, `show_device`); the rest a
page shows (tensors, arena breakdown, evaluations, sensors, runtimes) is read here with
bound queries over the entity's own graph.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .devices.register import show_device
from .errors import NotFound
from .models import show_model
from .references import resolve_device, resolve_model
from .store import IRI
from .vocab import local_name, prefixes
from .words import word

if TYPE_CHECKING:
    from .core import Registry


_PREFIXES = prefixes("tr", "schema", "ssn", "dcterms", "rdfs")

_TENSORS = _PREFIXES + """SELECT ?direction ?index ?name ?shape ?type ?scale ?zero WHERE {
  GRAPH ?v { { ?v tr:hasInput ?t BIND("input" AS ?direction) }
             UNION { ?v tr:hasOutput ?t BIND("output" AS ?direction) }
    ?t tr:tensorIndex ?index ; tr:shape ?shape ; tr:elementType ?type .
    OPTIONAL { ?t schema:name ?name } OPTIONAL { ?t tr:quantScale ?scale }
    OPTIONAL { ?t tr:quantZeroPoint ?zero } }
} ORDER BY ?direction ?index"""

_ARENA = _PREFIXES + """SELECT ?category ?bytes ?requested ?count WHERE {
  GRAPH ?v { ?v tr:arenaAllocation ?a . ?a tr:category ?category ; tr:bytes ?bytes .
    OPTIONAL { ?a tr:requestedBytes ?requested } OPTIONAL { ?a tr:allocationCount ?count } }
} ORDER BY DESC(?bytes)"""

_EVALUATIONS = _PREFIXES + """SELECT ?metric ?value ?dataset ?slice WHERE {
  GRAPH ?v { ?v tr:evaluation ?e . ?e tr:metric ?metric ; schema:value ?value .
    OPTIONAL { ?e tr:onDataset/schema:name ?dataset } OPTIONAL { ?e tr:slice ?slice } }
} ORDER BY ?metric ?slice"""

_CARD = _PREFIXES + """SELECT ?model ?task ?sensor ?license ?creator ?source ?description ?budget
WHERE {
  GRAPH ?v { ?v tr:versionOf ?model . OPTIONAL { ?v tr:maxLatencyMs ?budget }
    OPTIONAL { ?v tr:task ?task } OPTIONAL { ?v tr:requiresSensor ?sensor }
    OPTIONAL { ?v dcterms:license ?license } OPTIONAL { ?v schema:creator ?creator }
    OPTIONAL { ?v dcterms:source ?source }
    OPTIONAL { ?v schema:description ?description } }
}"""

_VERSIONS = _PREFIXES + """SELECT ?version ?number WHERE {
  ?version tr:versionOf ?model ; tr:versionNumber ?number } ORDER BY DESC(?number)"""

# A device's queries read its own graph as the default graph (see `_in_graph`).
_DEVICE = _PREFIXES + """SELECT ?kind ?id ?name ?board ?vendor ?ram ?flash ?ramReserve ?flashReserve
       ?mcu ?core ?clock ?fpu ?dsp ?helium ?npu ?location ?format ?incomplete WHERE {
  ?d a ?kind ; schema:identifier ?id ; schema:name ?name .
  VALUES ?kind { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device }
  FILTER NOT EXISTS { ?d a ?narrower . ?narrower rdfs:subClassOf+ ?kind }  # the entailed kinds
  OPTIONAL { ?d tr:board ?board } OPTIONAL { ?d tr:vendor ?vendor }
  OPTIONAL { ?d tr:usableRamBytes ?ram } OPTIONAL { ?d tr:usableFlashBytes ?flash }
  OPTIONAL { ?d tr:reservedRamBytes ?ramReserve } OPTIONAL { ?d tr:reservedFlashBytes ?flashReserve }
  OPTIONAL { ?d tr:hasProcessor ?p .
    OPTIONAL { ?p tr:mcu ?mcu } OPTIONAL { ?p tr:core ?core } OPTIONAL { ?p tr:clockHz ?clock }
    OPTIONAL { ?p tr:hasFPU ?fpu } OPTIONAL { ?p tr:hasDSP ?dsp }
    OPTIONAL { ?p tr:hasHelium ?helium } OPTIONAL { ?p tr:hasNPU ?npu } }
  OPTIONAL { ?d schema:location ?location } OPTIONAL { ?d tr:sourceFormat ?format }
  OPTIONAL { ?d tr:incomplete ?incomplete }
} LIMIT 1"""

_SENSORS = _PREFIXES + """SELECT ?sensor ?kind ?part WHERE {
  ?d tr:hasSensor ?sensor . ?sensor a ?kind .
  FILTER NOT EXISTS { ?sensor a ?narrower . ?narrower rdfs:subClassOf+ ?kind }
  OPTIONAL { ?sensor ssn:hasSubSystem ?sub . ?sub a ?part
             FILTER NOT EXISTS { ?sub a ?narrowerPart . ?narrowerPart rdfs:subClassOf+ ?part } }
} ORDER BY ?kind"""

_RUNTIMES = _PREFIXES + """SELECT ?runtime ?version ?ramOverhead ?code WHERE {
  ?d tr:hasRuntime ?r . ?r tr:runtime ?runtime .
  OPTIONAL { ?r tr:runtimeVersion ?version } OPTIONAL { ?r tr:runtimeRamBytes ?ramOverhead }
  OPTIONAL { ?r tr:runtimeCodeBytes ?code }
}"""

_DEVICE_LISTS = _PREFIXES + """SELECT ?connectivity ?source ?group WHERE {
  { ?d tr:connectivity ?connectivity } UNION { ?d dcterms:source ?source }
  UNION { ?d tr:inGroup ?group }
}"""


def _in_graph(registry: Registry, sparql: str, iri: str) -> list[dict[str, Any]]:
    """Rows of `sparql` about ?d = `iri`, over that entity's graph alone. Bound to the
    union instead, Oxigraph scanned every device's graph: 9 s for one device of 100,000."""
    return registry.store.query(sparql, {"d": IRI(iri)}, default_graphs=[iri]).rows


def _local_values(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: (local_name(v) if k in keys else v) for k, v in row.items()}


def model_view(registry: Registry, ref: str) -> dict[str, Any]:
    """One model version with everything its page shows."""
    iri = resolve_model(registry, ref)
    summary = show_model(registry, iri)
    bound = {"v": IRI(iri)}
    store = registry.store
    card_rows = store.select(_CARD, bound)
    model = card_rows[0]["model"] if card_rows else None
    card = {key: next((r[key] for r in card_rows if r[key] is not None), None)
            for key in ("task", "license", "creator", "source", "description", "budget")}
    return {
        "iri": iri, "model": model, "id": local_name(model), "name": summary["name"],
        "version": int(summary["n"]),
        "versions": [{"iri": r["version"], "number": int(r["number"])}
                     for r in store.select(_VERSIONS, {"model": IRI(model)})] if model else [],
        "task": word(card["task"]), "license": card["license"],
        "creator": card["creator"], "source": card["source"], "description": card["description"],
        "max_latency_ms": float(card["budget"]) if card["budget"] is not None else None,
        "sensors": sorted({local_name(r["sensor"]) for r in card_rows if r["sensor"]}),
        "arena_bytes": summary["arena"], "arena_basis": summary["arena_basis"],
        "arena_method": local_name(summary["method"]),
        "measured_arena_bytes": summary["measured"], "estimated_arena_bytes": summary["estimated"],
        "declared_arena_bytes": summary["declared"],
        "flash_bytes": summary["flash"], "number_format": local_name(summary["format"]),
        "parameters": summary["params"], "macs": summary["macs"],
        "sha256": summary["sha"], "file_bytes": summary["size"],
        "runtimes": [_local_values(r, "runtime") for r in summary["runtimes"]],
        "operators": [{"operator": local_name(r["operator"]), "version": r["version"],
                       "count": r["count"]} for r in summary["operators"]],
        "tensors": [_local_values(r, "type") for r in store.select(_TENSORS, bound)],
        "arena_breakdown": store.select(_ARENA, bound),
        "evaluations": [{**r, "metric": word(r["metric"])}
                        for r in store.select(_EVALUATIONS, bound)],
        "figures": [_figure(r) for r in summary["figures"]],
    }


_HISTORY = prefixes("tr", "schema", "dcterms", "prov") + """
SELECT ?v ?n ?created ?previous ?measured ?estimated ?declared ?flash ?format ?params ?macs
       ?size ?sha ?source ?trained WHERE {
  ?v tr:versionOf ?model .
  GRAPH ?v { ?v tr:versionNumber ?n .
    OPTIONAL { ?v prov:generatedAtTime ?created } OPTIONAL { ?v prov:wasRevisionOf ?previous }
    OPTIONAL { ?v tr:arenaBytes ?measured } OPTIONAL { ?v tr:estimatedArenaBytes ?estimated }
    OPTIONAL { ?v tr:declaredArenaBytes ?declared } OPTIONAL { ?v tr:modelFlashBytes ?flash }
    OPTIONAL { ?v tr:numberFormat ?format } OPTIONAL { ?v tr:parameterCount ?params }
    OPTIONAL { ?v tr:macs ?macs } OPTIONAL { ?v dcterms:source ?source }
    OPTIONAL { ?v tr:trainedOn/schema:name ?trained }
    OPTIONAL { ?v tr:artifact ?a . ?a tr:sha256 ?sha ; tr:byteSize ?size } }
} ORDER BY DESC(?n)"""
# Versions a model page compares side by side, newest first.
HISTORY_SHOWN = 8


def model_versions(registry: Registry, ref: str, limit: int = HISTORY_SHOWN) -> list[dict[str, Any]]:
    """The newest `limit` versions of the model `ref` names, newest first, each with the
    figures a comparison shows and its lineage: the version it is a revision of
    (prov:wasRevisionOf), when it was made, its source and training data."""
    from .models.register import ARENA_BASES
    model = _model_of(registry, ref)
    out = []
    for r in registry.store.select(_HISTORY, {"model": IRI(model)})[:limit]:
        basis = next((b for b in ARENA_BASES if r[b] is not None), None)
        out.append({"iri": r["v"], "version": int(r["n"]), "ref": f"{local_name(model)}@{int(r['n'])}",
                    "created": _iso(r["created"]), "revision_of": r["previous"],
                    "arena_bytes": r[basis] if basis else None, "arena_basis": basis,
                    "flash_bytes": r["flash"], "number_format": local_name(r["format"]),
                    "parameters": r["params"], "macs": r["macs"], "file_bytes": r["size"],
                    "sha256": r["sha"], "source": r["source"], "trained_on": r["trained"]})
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None if value is None else str(value)


def _model_of(registry: Registry, ref: str) -> str:
    """The IRI of the model whose version `ref` names."""
    rows = registry.store.select(_PREFIXES + "SELECT ?model WHERE { GRAPH ?v { ?v tr:versionOf ?model } }",
                                 {"v": IRI(resolve_model(registry, ref))})
    if not rows:
        raise NotFound(f"model version {ref} names no model")
    return rows[0]["model"]


def _figure(row: dict[str, Any]) -> dict[str, Any]:
    """A runtime's or NPU configuration's figures, with how they were obtained and by whom."""
    return {"runtime": local_name(row["runtime"]), "npu": local_name(row["npu"]),
            "npu_macs": row["macs"], "npu_memory_mode": row["mode"],
            "ram_bytes": row["ram"], "flash_bytes": row["flash"], "latency_ms": row["latency"],
            "npu_operator_share": row["share"], "cycles": row["cycles"],
            "basis": row["basis"], "source": row["source"]}


def model_graph(registry: Registry, ref: str):
    return registry.store.get_graph(resolve_model(registry, ref))


def device_graph(registry: Registry, device_id: str):
    return show_device(registry, device_id)


def device_view(registry: Registry, device_id: str) -> dict[str, Any]:
    """One device with everything its page shows."""
    iri = resolve_device(registry, device_id)
    rows = _in_graph(registry, _DEVICE, iri)
    if not rows:
        raise NotFound(f"device {device_id} has no description the registry can read")
    view = _local_values(rows[0], "kind", "core", "npu")
    view["iri"] = iri
    sensors: dict[str, dict[str, Any]] = {}
    for r in _in_graph(registry, _SENSORS, iri):
        entry = sensors.setdefault(r["sensor"], {"kinds": set(), "parts": set()})
        entry["kinds"].add(local_name(r["kind"]))
        if r["part"]:
            entry["parts"].add(local_name(r["part"]))
    view["sensors"] = [{"kinds": sorted(e["kinds"]), "parts": sorted(e["parts"])}
                       for e in sensors.values()]
    view["runtimes"] = [_local_values(r, "runtime") for r in _in_graph(registry, _RUNTIMES, iri)]
    lists = _in_graph(registry, _DEVICE_LISTS, iri)
    view["connectivity"] = sorted({local_name(r["connectivity"]) for r in lists if r["connectivity"]})
    view["sources"] = sorted({r["source"] for r in lists if r["source"]})
    view["groups"] = sorted({r["group"] for r in lists if r["group"]})
    return view
