"""Registering model versions: measure, store the file, then the graph — all or nothing.

Order matters for crash safety. The file is measured first (nothing written), then stored
under its digest (an atomic rename), then the version's graph is written in one store
transaction. A kill at any point leaves either nothing, or an unreferenced file (which
counts as no model and is removed by `tidy_artifacts`), or the whole version.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from rdflib import URIRef

from ..errors import Invalid, TooLarge
from ..latency.workload import Workload, workload_of_tflite
from ..references import resolve_model
from ..store import IRI
from ..tflite import ModelReport, measure_file
from ..validation import validate as validate_description
from ..vocab import artifact_iri, model_iri, prefixes, version_iri
from .artifacts import remove_incomplete, store_artifact, stored_digests
from . import numbering
from .beside import read_beside
from .card import ModelCard, card_from_mapping
from .graph import add_declared, version_graph

if TYPE_CHECKING:
    from ..core import Registry

logger = logging.getLogger(__name__)
# One registration at a time in this process (the same bytes twice make one version); the
# number itself is claimed in the store, across processes and hosts (numbering.py).
_LOCK = threading.Lock()

_VERSIONS = prefixes("tr") + """
SELECT ?v ?n ?sha WHERE {
  ?v tr:versionOf ?model ; tr:versionNumber ?n .
  OPTIONAL { ?v tr:artifact/tr:sha256 ?sha }
} ORDER BY DESC(?n)
"""


@dataclass(frozen=True)
class Registered:
    iri: str
    model: str
    number: int
    sha256: str
    created: bool  # False when these bytes were already a version of this model
    report: ModelReport | None
    warnings: tuple[str, ...] = ()  # about the files beside it, and declared figures
    # When these bytes were registered before: the card fields given now that differ from
    # what that version states (a version's card facts stay as they were registered).
    unapplied: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declared:
    """A figure someone else states for the model: kept beside ours, never in its place."""
    arena_bytes: int
    source: str  # the file or description that states it


def measure(registry: Registry, data: bytes) -> ModelReport:
    s = registry.settings
    return measure_file(data, max_bytes=s.max_model_bytes, timeout_s=s.measure_timeout_s,
                        max_memory=s.measure_memory_mb * 1024 * 1024)


def register_model(registry: Registry, data: bytes, card: ModelCard | Mapping[str, Any],
                   validate: Callable[[Any], None] | None = None,
                   declared: Declared | None = None,
                   warnings: tuple[str, ...] = ()) -> Registered:
    """Measure `data`, store it, and record a new version of `card.model`.

    Raises Invalid/TooLarge for a bad file or card; nothing is stored then.
    """
    if not isinstance(card, ModelCard):
        card = card_from_mapping(card)
    # The same bytes again (a second `tinyreg demo`) are known without measuring them.
    known = _same_bytes(registry, card, hashlib.sha256(data).hexdigest(), None)[1]
    if known is not None:
        return replace(known, unapplied=_unapplied(registry, known.iri, card))
    report = measure(registry, data)
    sha = report.analysis.sha256
    with _LOCK:
        _, known = _same_bytes(registry, card, sha, report)
        if known is not None:
            return replace(known, unapplied=_unapplied(registry, known.iri, card))
        number, token = numbering.claim(registry.store, card.model, version_iri)
        try:
            previous = version_iri(card.model, number - 1) if number > 1 else None
            if previous:
                card = _inherit(registry, card, previous)
                # What the version before declared (an imported description, a manifest)
                # stays declared beside this one's measurement, unless this file brings its own.
                declared = declared or _declared_before(registry, previous)
            graph = version_graph(report, card, number, previous,
                                  workload=_workload(data, registry.settings.max_model_bytes))
            if declared is not None:
                add_declared(graph, URIRef(version_iri(card.model, number)),
                             declared.arena_bytes, declared.source)
                warnings = warnings + tuple(_declared_warnings(report, declared))
            if validate is None:
                validate_description(graph, "model")  # Invalid, with the SHACL results
            else:
                validate(graph)
            store_artifact(registry.artifacts_path, data)
            iri = version_iri(card.model, number)
            registry.store.put_graph(iri, graph)
        finally:
            numbering.release(registry.store, token)
    for warning in warnings:
        logger.warning("%s: %s", iri, warning)
    return Registered(iri, card.model, number, sha, True, report, tuple(warnings))


def _workload(data: bytes, max_bytes: int) -> Workload | None:
    """The operator mix, or None when the cost model cannot count it: the model is still
    registered, without a latency estimate."""
    try:
        return workload_of_tflite(data, max_bytes=max_bytes)
    except (Invalid, TooLarge) as exc:
        logger.warning("no operator mix for the latency estimate: %s", exc)
        return None


def _declared_warnings(report: ModelReport, declared: Declared):
    measured = report.tflm.minimum_arena if report.tflm.runs else None
    if measured is not None and declared.arena_bytes < measured:
        yield (f"{declared.source} declares a tensor arena of {declared.arena_bytes:,} B, smaller "
               f"than the {measured:,} B TFLM needs (measured): a firmware built with the declared "
               f"size would fail to load the model")


def _same_bytes(registry: Registry, card: ModelCard, sha: str, report: ModelReport | None
                ) -> tuple[list[dict], Registered | None]:
    """The model's versions, newest first, and the one with these bytes if there is one."""
    versions = registry.store.select(_VERSIONS, {"model": IRI(model_iri(card.model))})
    for row in versions:
        if row["sha"] == sha:
            return versions, Registered(row["v"], card.model, int(row["n"]), sha, False, report)
    return versions, None


_INHERITED = prefixes("tr", "dcterms", "schema") + """
SELECT ?task ?sensor ?license ?creator ?source ?npu ?budget WHERE {
  { ?v tr:task ?task } UNION { ?v tr:requiresSensor ?sensor } UNION { ?v dcterms:license ?license }
  UNION { ?v schema:creator ?creator } UNION { ?v dcterms:source ?source }
  UNION { ?v tr:compiledForNPU ?npu } UNION { ?v tr:maxLatencyMs ?budget }
}"""


_FACTS = prefixes("tr", "dcterms", "schema") + """
SELECT ?task ?sensor ?license ?creator ?source ?description ?metric ?value ?dataset ?slice
WHERE { GRAPH ?v {
  { ?v tr:task ?task } UNION { ?v tr:requiresSensor ?sensor } UNION { ?v dcterms:license ?license }
  UNION { ?v schema:creator ?creator } UNION { ?v dcterms:source ?source }
  UNION { ?v schema:description ?description }
  UNION { ?v tr:evaluation ?e . ?e tr:metric ?metric ; schema:value ?value .
          OPTIONAL { ?e tr:onDataset/schema:name ?dataset } OPTIONAL { ?e tr:slice ?slice } }
} }"""


def _unapplied(registry: Registry, iri: str, card: ModelCard) -> tuple[str, ...]:
    """The fields of `card` that say something the registered version `iri` does not."""
    rows = registry.store.select(_FACTS, {"v": IRI(iri)})

    def stored(key: str) -> set:
        return {str(r[key]) for r in rows if r[key] is not None}
    metrics = {(str(r["metric"]), round(float(r["value"]), 9), r["dataset"], r["slice"])
               for r in rows if r["metric"] is not None}
    given = {"task": {str(card.task)} if card.task else set(),
             "sensors": {str(s) for s in card.sensors},
             "license": {card.license} if card.license else set(),
             "creator": {card.creator} if card.creator else set(),
             "source": {card.source} if card.source else set(),
             "description": {card.description} if card.description else set()}
    out = [name for name, values in given.items()
           if values - stored("sensor" if name == "sensors" else name)]
    if {(str(m.metric), round(m.value, 9), m.dataset, m.slice) for m in card.metrics} - metrics:
        out.append("metrics")
    return tuple(out)


_DECLARED = prefixes("tr") + """
SELECT ?arena ?source WHERE { ?v tr:declaredArenaBytes ?arena . OPTIONAL { ?v tr:declaredIn ?source } }"""


def _declared_before(registry: Registry, previous: str) -> Declared | None:
    rows = registry.store.select(_DECLARED, {"v": IRI(previous)})
    if not rows:
        return None
    source = rows[0]["source"] or f"version {previous}"
    return Declared(int(rows[0]["arena"]), str(source))


def _inherit(registry: Registry, card: ModelCard, previous: str) -> ModelCard:
    """A new version keeps what its card leaves out from the version before it."""
    rows = registry.store.select(_INHERITED, {"v": IRI(previous)})
    def first(key):
        return next((r[key] for r in rows if r[key] is not None), None)
    sensors = tuple(dict.fromkeys(URIRef(r["sensor"]) for r in rows if r["sensor"]))
    task, npu, budget = first("task"), first("npu"), first("budget")
    return replace(
        card,
        task=card.task or (URIRef(task) if task else None),
        sensors=card.sensors or sensors,
        license=card.license or first("license"),
        creator=card.creator or first("creator"),
        source=card.source or first("source"),
        npu=card.npu or (URIRef(npu) if npu else None),
        # the application's deadline, not the file's: it stays until a card states another
        max_latency_ms=card.max_latency_ms if card.max_latency_ms is not None else (
            float(budget) if budget is not None else None))


def register_file(registry: Registry, path: Path, options: Mapping[str, Any]) -> Registered:
    """A file plus what the files beside it say (beside.py); `options` (e.g. from the command
    line) win over them."""
    beside = read_beside(path)
    card = dict(beside.card)
    card.update({k: v for k, v in options.items() if v not in (None, (), [])})
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}") from None
    declared = (Declared(beside.declared_arena, beside.declared_in)
                if beside.declared_arena is not None else None)
    return register_model(registry, data, card_from_mapping(card, fallback_name=path.stem),
                          declared=declared, warnings=tuple(beside.warnings))


# ---- reading
_LIST = prefixes("tr", "schema") + """
SELECT ?model ?name ?task (MAX(?n) AS ?latest) (COUNT(DISTINCT ?v) AS ?versions) WHERE {
  ?model a tr:Model ; schema:name ?name .
  ?v tr:versionOf ?model ; tr:versionNumber ?n .
  OPTIONAL { ?model tr:task ?task }
} GROUP BY ?model ?name ?task ORDER BY ?name
"""

_SUMMARY = prefixes("tr", "schema") + """
SELECT ?v ?name ?n ?measured ?measuredBy ?estimated ?estimatedBy ?declared ?declaredIn ?flash
       ?declaredFlash ?format ?params ?macs ?sha ?size WHERE {
  ?v a tr:ModelVersion ; schema:name ?name ; tr:versionNumber ?n .
  OPTIONAL { ?v tr:arenaBytes ?measured } OPTIONAL { ?v tr:arenaMethod ?measuredBy }
  OPTIONAL { ?v tr:estimatedArenaBytes ?estimated } OPTIONAL { ?v tr:estimateMethod ?estimatedBy }
  OPTIONAL { ?v tr:declaredArenaBytes ?declared } OPTIONAL { ?v tr:declaredIn ?declaredIn }
  OPTIONAL { ?v tr:declaredFlashBytes ?declaredFlash }
  OPTIONAL { ?v tr:modelFlashBytes ?flash } OPTIONAL { ?v tr:numberFormat ?format }
  OPTIONAL { ?v tr:parameterCount ?params } OPTIONAL { ?v tr:macs ?macs }
  OPTIONAL { ?v tr:artifact ?a . ?a tr:sha256 ?sha ; tr:byteSize ?size }
}
"""

_RUNTIMES = prefixes("tr") + """
SELECT ?runtime ?runs ?reason WHERE {
  ?v tr:runtimeCheck ?c . ?c tr:onRuntime ?runtime .
  OPTIONAL { ?c tr:runs ?runs } OPTIONAL { ?c tr:reason ?reason }
} ORDER BY ?runtime
"""

_OPERATORS = prefixes("tr") + """
SELECT ?operator ?version ?count WHERE {
  ?v tr:usesOperator ?u . ?u tr:operator ?operator ; tr:operatorVersion ?version ; tr:count ?count .
} ORDER BY DESC(?count) ?operator
"""


_FIGURES = prefixes("tr") + """
SELECT ?runtime ?npu ?macs ?mode ?ram ?flash ?latency ?basis ?source ?share ?cycles WHERE {
  ?v tr:runtimeFigure ?f .
  OPTIONAL { ?f tr:onRuntime ?runtime } OPTIONAL { ?f tr:onNPU ?npu } OPTIONAL { ?f tr:npuMacs ?macs }
  OPTIONAL { ?f tr:npuMemoryMode ?mode } OPTIONAL { ?f tr:figureRamBytes ?ram }
  OPTIONAL { ?f tr:figureFlashBytes ?flash } OPTIONAL { ?f tr:figureLatencyMs ?latency }
  OPTIONAL { ?f tr:figureBasis ?basis } OPTIONAL { ?f tr:figureSource ?source }
  OPTIONAL { ?f tr:npuOperatorShare ?share } OPTIONAL { ?f tr:npuCycles ?cycles }
} ORDER BY ?runtime ?npu ?macs ?mode
"""


def list_models(registry: Registry) -> list[dict[str, Any]]:
    return registry.store.select(_LIST)


ARENA_BASES = ("measured", "estimated", "declared")


def show_model(registry: Registry, ref: str) -> dict[str, Any]:
    """One version's figures. `arena` is the one the compatibility shapes take (measured,
    else estimated, else declared) and `arena_basis` says which; each kind is there too."""
    iri = resolve_model(registry, ref)
    bound = {"v": IRI(iri)}
    summary = registry.store.select(_SUMMARY, bound)[0]
    basis = next((b for b in ARENA_BASES if summary[b] is not None), None)
    summary["arena"] = summary[basis] if basis else None
    summary["arena_basis"] = basis
    summary["method"] = {"measured": summary["measuredBy"],
                         "estimated": summary["estimatedBy"]}.get(basis)
    summary["runtimes"] = registry.store.select(_RUNTIMES, bound)
    summary["figures"] = registry.store.select(_FIGURES, bound)
    summary["operators"] = registry.store.select(_OPERATORS, bound)
    return summary


def tidy_artifacts(registry: Registry) -> dict[str, int]:
    """Remove what an interrupted registration left: temporary files and unreferenced files."""
    root = registry.artifacts_path
    removed_tmp = remove_incomplete(root)
    referenced = {row["sha"] for row in registry.store.select(
        "SELECT DISTINCT ?sha WHERE { ?a <https://w3id.org/tinyreg/ontology#sha256> ?sha }")}
    orphans = stored_digests(root) - referenced
    for sha in orphans:
        (root / sha[:2] / sha).unlink(missing_ok=True)
    return {"temporary": removed_tmp, "unreferenced": len(orphans)}


__all__ = ["ARENA_BASES", "Registered", "artifact_iri", "list_models", "register_file",
           "register_model", "show_model", "tidy_artifacts"]
