"""A measured model version as RDF, in the ontology's terms (see ontology/tinyml.ttl)."""
from __future__ import annotations

import datetime as dt

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from ..latency.cost import element_operations
from ..latency.workload import Workload
from ..store.terms import decimal_literal
from ..tflite import ModelReport
from ..vocab import SCHEMA, TR, artifact_iri, model_iri, operator_iri, version_iri
from .card import ModelCard
from .figure import RuntimeFigure, add_figure_triples

NUMBER_FORMATS = {"int8": TR.Int8, "uint8": TR.UInt8, "int16x8": TR.Int16x8,
                  "float16": TR.Float16Weights, "float32": TR.Float32, "hybrid": TR.Hybrid}
TFLITE_MEDIA_TYPE = "application/vnd.tflite"


def _int(value: int) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def version_graph(report: ModelReport, card: ModelCard, number: int,
                  previous: str | None, now: dt.datetime | None = None,
                  workload: Workload | None = None) -> Graph:
    a = report.analysis
    g = Graph()
    model = URIRef(model_iri(card.model))
    v = URIRef(version_iri(card.model, number))
    art = URIRef(artifact_iri(a.sha256))

    g.add((model, RDF.type, TR.Model))
    g.add((model, SCHEMA.name, Literal(card.name)))
    g.add((model, TR.hasVersion, v))
    if card.task:
        g.add((model, TR.task, card.task))

    g.add((v, RDF.type, TR.ModelVersion))
    g.add((v, TR.versionOf, model))
    g.add((v, TR.versionNumber, _int(number)))
    g.add((v, SCHEMA.version, Literal(str(number))))
    g.add((v, SCHEMA.name, Literal(f"{card.name} v{number}")))
    g.add((v, SCHEMA.identifier, Literal(f"{card.model}@{number}")))
    g.add((v, PROV.generatedAtTime,
           Literal((now or dt.datetime.now(dt.timezone.utc)).isoformat(), datatype=XSD.dateTime)))
    if previous:
        g.add((v, PROV.wasRevisionOf, URIRef(previous)))
    for pred, value in ((SCHEMA.description, card.description or a.description or None),
                        (DCTERMS.license, card.license), (SCHEMA.creator, card.creator),
                        (DCTERMS.source, card.source)):
        if value:
            g.add((v, pred, Literal(value)))
    if card.task:
        g.add((v, TR.task, card.task))
    for sensor in card.sensors:
        g.add((v, TR.requiresSensor, sensor))
    if card.npu:
        g.add((v, TR.compiledForNPU, card.npu))
    for figure in card.figures:
        add_figure_triples(g, v, figure)
    if card.max_latency_ms is not None:
        g.add((v, TR.maxLatencyMs, decimal_literal(card.max_latency_ms)))

    g.add((v, TR.artifact, art))
    g.add((art, RDF.type, TR.Artifact))
    g.add((art, TR.sha256, Literal(a.sha256)))
    g.add((art, TR.byteSize, _int(a.byte_size)))
    g.add((art, TR["format"], Literal(TFLITE_MEDIA_TYPE)))

    _add_analysis(g, v, report)
    if workload is not None:
        _add_workload(g, v, workload)
    _add_memory(g, v, report)
    _add_runtime_checks(g, v, report)
    _add_card_facts(g, v, card)
    return g


def _add_analysis(g: Graph, v: URIRef, report: ModelReport) -> None:
    a = report.analysis
    g.add((v, TR.modelFlashBytes, _int(a.flash_bytes)))
    g.add((v, TR.numberFormat, NUMBER_FORMATS[a.number_format]))
    g.add((v, TR.parameterCount, _int(a.parameter_count)))
    g.add((v, TR.macs, _int(a.macs)))
    g.add((v, TR.subgraphCount, _int(a.subgraph_count)))
    g.add((v, TR.tensorCount, _int(a.tensor_count)))
    g.add((v, TR.schemaVersion, _int(a.schema_version)))
    if a.min_runtime_version:
        g.add((v, TR.minRuntimeVersion, Literal(a.min_runtime_version)))
    for name in a.metadata_names:
        g.add((v, TR.metadataEntry, Literal(name)))
    g.add((v, TR.hasOfflineMemoryPlan, Literal(a.offline_plan is not None)))
    if a.support_metadata is not None:
        for name in a.support_metadata.associated_files:
            g.add((v, TR.associatedFile, Literal(name)))
    for op in a.operators:
        use = BNode()
        custom = op.custom_name is not None
        op_iri = URIRef(operator_iri(op.custom_name if custom else op.name, custom=custom))
        g.add((v, TR.usesOperator, use))
        g.add((use, RDF.type, TR.OperatorUse))
        g.add((use, TR.operator, op_iri))
        g.add((use, TR.operatorVersion, _int(op.version)))
        g.add((use, TR["count"], _int(op.count)))
        g.add((op_iri, RDF.type, TR.CustomOperator if custom else TR.BuiltinOperator))
        if not custom:
            g.add((op_iri, TR.builtinCode, _int(op.builtin_code)))
    for kind, specs, cls in ((TR.hasInput, a.inputs, TR.InputTensor),
                             (TR.hasOutput, a.outputs, TR.OutputTensor)):
        for index, spec in enumerate(specs):
            t = BNode()
            g.add((v, kind, t))
            g.add((t, RDF.type, cls))
            g.add((t, TR.tensorIndex, _int(index)))
            g.add((t, SCHEMA.name, Literal(spec.name)))
            g.add((t, TR.shape, Literal(",".join(str(d) for d in spec.shape))))
            g.add((t, TR.elementType, TR[spec.type]))
            # Per-channel quantization has many scales; the tensor-level figure is the first.
            if spec.scales:
                g.add((t, TR.quantScale, decimal_literal(spec.scales[0])))
            if spec.zero_points:
                g.add((t, TR.quantZeroPoint, _int(spec.zero_points[0])))


def _add_workload(g: Graph, v: URIRef, workload: Workload) -> None:
    """The operator mix the latency estimate (and the shapes' latency budget) computes from."""
    g.add((v, TR.convMacs, _int(workload.macs["conv"])))
    g.add((v, TR.depthwiseMacs, _int(workload.macs["depthwise"])))
    g.add((v, TR.fullyConnectedMacs, _int(workload.macs["fully_connected"])))
    g.add((v, TR.elementOperations, _int(element_operations(workload))))


def _add_memory(g: Graph, v: URIRef, report: ModelReport) -> None:
    tflm = report.tflm
    if tflm.runs and tflm.arena is not None:
        arena = tflm.arena
        # What a device must provide is the smallest arena that loaded and ran: TFLM's
        # recorded total leaves out temporary allocations made while loading.
        needed = tflm.minimum_arena if tflm.minimum_arena is not None else arena.total
        g.add((v, TR.arenaBytes, _int(needed)))
        g.add((v, TR.arenaRecordedBytes, _int(arena.total)))
        g.add((v, TR.arenaHeadBytes, _int(arena.head)))
        g.add((v, TR.arenaTailBytes, _int(arena.tail)))
        g.add((v, TR.arenaMethod, TR.TFLMRecordingAllocator))
        g.add((v, TR.arenaIsEstimate, Literal(False)))
        if tflm.minimum_arena is not None:
            g.add((v, TR.minimumArenaBytes, _int(tflm.minimum_arena)))
        for use in arena.breakdown:
            node = BNode()
            g.add((v, TR.arenaAllocation, node))
            g.add((node, RDF.type, TR.ArenaAllocation))
            g.add((node, TR.category, Literal(use.category)))
            g.add((node, TR.bytes, _int(use.used_bytes)))
            g.add((node, TR.requestedBytes, _int(use.requested_bytes)))
            g.add((node, TR.allocationCount, _int(use.count)))
    elif report.estimate is not None:
        # Never under tr:arenaBytes: that property holds what TFLM measured, and a verdict
        # resting on this figure must say it is an estimate (shapes/compatibility.ttl).
        estimate = report.estimate
        g.add((v, TR.estimatedArenaBytes, _int(estimate.total_bytes)))
        g.add((v, TR.estimatedArenaHeadBytes, _int(estimate.head_bytes)))
        g.add((v, TR.estimatedArenaTailBytes, _int(estimate.tail_bytes)))
        g.add((v, TR.estimateMethod, TR.TFLMAllocatorModel))


def add_declared(g: Graph, v: URIRef, arena_bytes: int, source: str) -> None:
    """A tensor arena someone else declares, beside (never instead of) the measured one."""
    g.add((v, TR.declaredArenaBytes, _int(arena_bytes)))
    g.add((v, TR.declaredIn, Literal(source)))


def _add_runtime_checks(g: Graph, v: URIRef, report: ModelReport) -> None:
    for runtime, result, version in ((TR.TFLM, report.tflm, report.tflm.tflm_version),
                                     (TR.LiteRT, report.litert, report.litert.litert_version)):
        check = BNode()
        g.add((v, TR.runtimeCheck, check))
        g.add((check, RDF.type, TR.RuntimeCheck))
        g.add((check, TR.onRuntime, runtime))
        # A check that could not measure (the interpreter crashed, hung...) leaves "runs"
        # unknown: it must not read as "does not run".
        if result.measured:
            g.add((check, TR.runs, Literal(bool(result.runs))))
        g.add((check, TR.measured, Literal(bool(result.measured))))
        g.add((check, TR.runtimeVersion, Literal(version)))
        if result.reason:
            g.add((check, TR.reason, Literal(result.reason)))
        if result.runs:
            g.add((v, TR.runsOn, runtime))
    litert = report.litert
    if litert.runs and litert.ram_bytes is not None:
        add_figure_triples(g, v, RuntimeFigure(
            runtime=TR.LiteRT, npu=None, basis="measured", ram_bytes=litert.ram_bytes,
            source=f"LiteRT {litert.litert_version} on the registry's host: heap after one "
                   f"invocation + the model's {report.analysis.byte_size:,} B"))


def _add_card_facts(g: Graph, v: URIRef, card: ModelCard) -> None:
    datasets: dict[str, BNode] = {}

    def dataset(name: str) -> BNode:
        if name not in datasets:
            node = datasets[name] = BNode()
            g.add((node, RDF.type, TR.Dataset))
            g.add((node, SCHEMA.name, Literal(name)))
        return datasets[name]

    if card.trained_on:
        g.add((v, TR.trainedOn, dataset(card.trained_on)))
    for m in card.metrics:
        ev = BNode()
        g.add((v, TR.evaluation, ev))
        g.add((ev, RDF.type, TR.Evaluation))
        g.add((ev, TR.metric, m.metric))
        g.add((ev, SCHEMA.value, decimal_literal(m.value)))
        if m.dataset:
            g.add((ev, TR.onDataset, dataset(m.dataset)))
        if m.slice:
            g.add((ev, TR.slice, Literal(m.slice)))
