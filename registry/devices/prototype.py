"""The research prototype's knowledge graph (s3n / nnet Turtle) read into the registry.

Devices are `s3n:SmartSensor`s whose sub-systems are sensors and a microcontroller with
RAM and flash capabilities in kilobytes (1000 bytes); models are `nnet:NeuralNetwork`s whose
RAM and flash needs are procedure features, fed by the sensors that `provideInput` them.
All three generations of the prototype's namespaces are read: the first (ureasoner.org,
the one its published example queries use) puts sensors and memories in its demo
vocabulary, names a model with nnet:hasTitle and states the sensors a model takes as
"hardware references".

That data has blemishes (IRIs written as `<None>`, double slashes, enumeration members that
were never declared, missing units). They are read leniently: what can be understood is
kept, every oddity is reported, and one broken entity never stops the others.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..errors import Invalid
from ..parsing import check_turtle_depth
from ..store.terms import decimal_literal
from ..vocab import OM, S3N, SCHEMA, SCHEMA_HTTP, SSN, SSN_SYSTEM, TD, TR, UNIT
from ..vocab import local_name, model_iri, slug, version_iri
from .cores import processor
from .facts import (DeviceFacts, DeviceRecord, Runtime, Sensor, bounded_decimal,
                    is_iri, read_rdf, to_record)

_BASE = "http://prototype.invalid/"  # resolves relative IRIs such as <None> where we can see them
_GENERATIONS = ("http://tinyml-schema.org/", "https://w3id.org/tinyml-schema/neural-network-schema/")
# The first generation: one "demo" namespace for sensor and memory classes.
DEMO = Namespace("http://ureasoner.org/tinyml-demo#")
NNET = (Namespace("http://tinyml-schema.org/networkschema#"),
        Namespace("https://w3id.org/tinyml-schema/neural-network-schema#"),
        Namespace("http://ureasoner.org/networkschema#"))
S3NX = tuple(Namespace(g + "s3n_extend/") for g in _GENERATIONS) + (DEMO,)
SOSAX = tuple(Namespace(g + "sosa_extend/") for g in _GENERATIONS) + (DEMO,)
SSNX = tuple(Namespace(g + "ssn_extend/") for g in _GENERATIONS)
# First-generation terms for what the later ones say with schema.org.
_NAME, _DESCRIPTION = [n.hasTitle for n in NNET], [n.hasDescription for n in NNET]
_ID, _CREATOR = [n.hasID for n in NNET], [n.creator for n in NNET]

_SENSORS = {"Accelerometer": TR.Accelerometer, "Camera": TR.Camera, "Gyroscope": TR.Gyroscope,
            "Magnetometer": TR.Magnetometer, "Microphone": TR.Microphone,
            "Thermometer": TR.Thermometer}
_CATEGORIES = ("Classification", "ObjectDetection", "FeatureExtraction", "Unsupervised")
_TASKS = ("Classification", "KeywordSpotting", "VisualWakeWords", "PersonDetection",
          "AnomalyDetection", "GestureRecognition", "Regression", "ObjectDetection",
          "ImageClassification", "FeatureExtraction", "Unsupervised", "ActivityRecognition")
_METRICS = {"top1accuracy": TR.Top1Accuracy, "top5accuracy": TR.Top5Accuracy,
            "accuracy": TR.Accuracy, "f1score": TR.F1Score, "f1": TR.F1Score, "auc": TR.AUC,
            "map": TR.MeanAveragePrecision, "meanaverageprecision": TR.MeanAveragePrecision,
            "mae": TR.MeanAbsoluteError, "meanabsoluteerror": TR.MeanAbsoluteError}
_UNITS = {OM.kilobyte: 1000, OM.byte: 1, OM.megabyte: 1000**2, OM.kibibyte: 1024,
          UNIT.KiloBYTE: 1000, UNIT.KibiBYTE: 1024, UNIT.BYTE: 1, UNIT.MegaBYTE: 1000**2}
# The first generation writes the unit as text: "om.kilobyte".
_UNITS.update({Literal(f"om.{local_name(u)}"): f for u, f in _UNITS.items() if u in OM})


@dataclass
class ModelRecord:
    iri: str  # the version IRI, which is also the graph name
    graph: Graph


@dataclass
class PrototypeImport:
    devices: list[DeviceRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    report: list[str] = field(default_factory=list)


def parse_prototype(data: bytes | str) -> PrototypeImport:
    """Devices and model versions from the prototype's Turtle, with a report of what was odd."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(f"not UTF-8 text (byte {exc.start})") from None
    check_turtle_depth(data)
    g = read_rdf(data, ox.RdfFormat.TURTLE, _BASE)
    out = PrototypeImport()
    _report_iris(g, out.report)
    for node in sorted(set(_instances(g, [S3N.SmartSensor])), key=str):
        try:
            out.devices.append(_device(g, node, out.report))
        except Invalid as exc:
            out.report.append(f"device {_label(node)} left out: {exc.detail}")
    for node in sorted(set(_instances(g, [n.NeuralNetwork for n in NNET])), key=str):
        try:
            out.models.append(_model(g, node, out.report))
        except Invalid as exc:
            out.report.append(f"model {_label(node)} left out: {exc.detail}")
    if not out.devices and not out.models:
        raise Invalid("no s3n:SmartSensor or nnet:NeuralNetwork in the Turtle")
    return out


# ---------------------------------------------------------------- devices

def _device(g: Graph, node, report: list[str]) -> DeviceRecord:
    name = _text(g, node, (SCHEMA.name, SCHEMA_HTTP.name, TD.title, RDFS.label))
    key = _key_of(node) or name
    if not key:
        raise Invalid("neither a usable IRI nor a name")
    own_iri = isinstance(node, URIRef) and not _blemished(node) and is_iri(str(node))
    facts = DeviceFacts(key=key, name=name or key, source_format="turtle",
                        source=str(node) if own_iri else None)
    for part in g.objects(node, SSN.hasSubSystem):
        types = set(g.objects(part, RDF.type))
        if S3N.MicroController in types:
            _read_mcu(g, part, facts, report)
            continue
        classes = [_SENSORS[local_name(c)] for c in types
                   if _in(c, SOSAX) and local_name(c) in _SENSORS]
        if classes:
            facts.sensors.append(Sensor(classes, _text(g, part, (SCHEMA.name, SCHEMA_HTTP.name))))
        else:
            report.append(f"device {_label(node)}: sub-system of type "
                          f"{', '.join(sorted(map(str, types))) or '(none)'} is not a known sensor")
    if facts.processor is None:
        report.append(f"device {_label(node)}: no s3n:MicroController")
    facts.runtimes.append(Runtime(TR.TFLM))
    record = to_record(facts)
    device = URIRef(record.iri)
    _copy_affordances(g, node, device, record.graph)
    keep_source(g, node, record.graph)
    for reason in record.graph.objects(device, TR.incomplete):
        report.append(f"device {_label(node)}: {reason}")
    return record


def _read_mcu(g: Graph, mcu, facts: DeviceFacts, report: list[str]) -> None:
    part = _text(g, mcu, (SCHEMA.name, SCHEMA_HTTP.name, TD.title, RDFS.label))
    facts.processor = processor(mcu=part)
    for capability in g.objects(mcu, S3N.hasSystemCapability):
        for prop in g.objects(capability, SSN_SYSTEM.hasSystemProperty):
            types = set(g.objects(prop, RDF.type))
            amount = _bytes(g, prop, (SCHEMA.value, SCHEMA_HTTP.value), f"device {part}", report)
            if amount is None:
                continue
            if types & {s.RAM for s in S3NX}:
                facts.ram = amount
            elif types & {s.Flash for s in S3NX}:
                facts.flash = amount


def _copy_affordances(g: Graph, node, device: URIRef, out: Graph) -> None:
    """The device's TD part (read leniently: it uses td: terms the TD ontology lacks)."""
    for affordance in g.objects(node, TD.hasPropertyAffordance):
        out.add((device, TD.hasPropertyAffordance, affordance))
        todo, seen = [affordance], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for p, o in g.predicate_objects(current):
                if isinstance(o, URIRef) and not is_iri(str(o)):  # kept as text, not lost
                    o = Literal(str(o), datatype=XSD.anyURI)
                out.add((current, p, o))
                if isinstance(o, BNode):
                    todo.append(o)


# ---------------------------------------------------------------- models

def _model(g: Graph, node, report: list[str]) -> ModelRecord:
    name = _text(g, node, (SCHEMA.name, SCHEMA_HTTP.name, *_NAME))
    identifier = _text(g, node, (SCHEMA.identifier, SCHEMA_HTTP.identifier, *_ID))
    key = identifier or _key_of(node) or name
    if not key:
        raise Invalid("neither an identifier, a usable IRI nor a name")
    label = _label(node)
    try:
        model, version = URIRef(model_iri(key)), URIRef(version_iri(key, 1))
    except ValueError as exc:  # nothing of the key is left in a slug
        raise Invalid(str(exc)) from None
    out = Graph()
    add = out.add
    add((model, RDF.type, TR.Model))
    add((model, SCHEMA.name, Literal(name or key)))
    add((model, TR.hasVersion, version))
    add((version, RDF.type, TR.ModelVersion))
    add((version, TR.versionOf, model))
    add((version, TR.versionNumber, Literal(1, datatype=XSD.integer)))
    add((version, SCHEMA.name, Literal(name or key)))
    add((version, SCHEMA.identifier, Literal(slug(key))))
    add((version, TR.sourceFormat, Literal("turtle")))
    if isinstance(node, URIRef) and not _blemished(node) and is_iri(str(node)):
        add((version, OWL.sameAs, node))
    for prop, ours in (((SCHEMA.description, SCHEMA_HTTP.description, *_DESCRIPTION),
                        SCHEMA.description),
                       ((SCHEMA.creator, SCHEMA_HTTP.creator, *_CREATOR), SCHEMA.creator)):
        value = _text(g, node, prop)
        if value:
            add((version, ours, Literal(value)))
    for task in _tasks(g, node, label, report):
        add((model, TR.task, task))
        add((version, TR.task, task))
    macs = _first(g, node, [n.hasMultiplyAccumulateOps for n in NNET])
    if macs is not None:
        number = _decimal(macs)
        if number is None or number < 0:
            report.append(f"model {label}: MACs {macs} is not a count; left out")
        else:
            add((version, TR.macs, Literal(int(number), datatype=XSD.integer)))
    _needs(g, node, version, out, label, report)
    for sensor_class in _input_sensors(g, node, label, report):
        add((version, TR.requiresSensor, sensor_class))
    for dataset in _objects(g, node, [n.trainingDataset for n in NNET] + [n.dataset for n in NNET]):
        if _blemished(dataset):
            continue  # <None>: reported with the other blemished IRIs
        add((version, TR.trainedOn, _dataset(g, dataset, out)))
    for metric in _objects(g, node, [n.hasMetric for n in NNET]):
        _evaluation(g, metric, version, out, label, report)
    formats = {q.split("#")[-1] for layer in _layers(g, node)
               for q in _objects(g, layer, [n.hasQuantization for n in NNET])}
    if formats == {"Int8"}:
        add((version, TR.numberFormat, TR.Int8))
    elif formats:
        report.append(f"model {label}: layer quantization {', '.join(sorted(formats))} not mapped")
    keep_source(g, node, out)
    return ModelRecord(str(version), out)


def keep_source(g: Graph, node, out: Graph, depth: int = 4) -> None:
    """The prototype's own statements about `node`, kept in the entity's graph beside ours, so
    that its own queries, in its own terms, find in the registry what they found in its
    Turtle: what `node` states, what the nodes it points at state (blank ones, and the named
    ones it alone describes, such as a model's input), and the nodes pointing at those (a
    sensor that `provideInput`s a model's input), `depth` links out at most."""
    entities = set(_instances(g, [S3N.SmartSensor])) | set(
        _instances(g, [n.NeuralNetwork for n in NNET]))
    # Each entity's graph gets blank nodes of its own: the store keeps a blank node to one graph.
    fresh: dict[BNode, BNode] = {}

    def add(s_, p_, o_):
        out.add(tuple(fresh.setdefault(t, BNode()) if isinstance(t, BNode) else t
                      for t in (s_, p_, o_)))

    seen, frontier = {node}, [node]
    for _ in range(depth):
        found = []
        for subject in frontier:
            for s_, p_, o_ in g.triples((subject, None, None)):
                add(s_, p_, o_)
                if p_ != RDF.type and not isinstance(o_, Literal) and o_ not in seen \
                        and o_ not in entities:
                    seen.add(o_)
                    found.append(o_)
            for s_, p_, o_ in g.triples((None, None, subject)):
                if isinstance(s_, BNode) and s_ not in seen:
                    add(s_, p_, o_)
                    seen.add(s_)
                    found.append(s_)
        frontier = found


def _tasks(g: Graph, node, label: str, report: list[str]):
    for category in _objects(g, node, [n.hasCategory for n in NNET]):
        local = re.split(r"[#/]", str(category))[-1]
        if local in _CATEGORIES and any(category == n[local] for n in NNET):
            yield TR[local]
            continue
        match = next((t for t in _TASKS if t.lower() == re.sub(r"[^a-z]", "", local.lower())), None)
        if match:
            report.append(f"model {label}: category {local} is not declared by the prototype's "
                          f"vocabulary; read as tr:{match}")
            yield TR[match]
        else:
            report.append(f"model {label}: category {category} is unknown; no task recorded")


def _needs(g: Graph, node, version: URIRef, out: Graph, label: str, report: list[str]) -> None:
    for feature in g.objects(node, S3N.hasProcedureFeature):
        for condition in g.objects(feature, SSN_SYSTEM.inCondition):
            types = set(g.objects(condition, RDF.type))
            amount = _bytes(g, condition, (SCHEMA.minValue, SCHEMA_HTTP.minValue),
                            f"model {label}", report)
            if amount is None:
                continue
            # Declared by the prototype's author, not measured: kept under the declared
            # properties, which a measurement of the same model never overwrites.
            if types & {s.RAM for s in S3NX}:
                out.add((version, TR.declaredArenaBytes, Literal(amount, datatype=XSD.integer)))
                out.add((version, TR.declaredIn, Literal("the research prototype's graph")))
            elif types & {s.Flash for s in S3NX}:
                out.add((version, TR.declaredFlashBytes, Literal(amount, datatype=XSD.integer)))
            else:
                report.append(f"model {label}: a need of type {types or '(none)'} is neither RAM nor flash")


def _input_sensors(g: Graph, node, label: str, report: list[str]):
    inputs = set(g.objects(node, SSN.hasInput)) | {node}
    found = set()
    for provide in [s.provideInput for s in SSNX]:
        for sensor, target in g.subject_objects(provide):
            if target not in inputs:
                continue
            for cls in g.objects(sensor, RDF.type):
                local = local_name(cls)
                if _in(cls, SOSAX) and local in _SENSORS:
                    found.add(_SENSORS[local])
                else:
                    report.append(f"model {label}: input sensor type {cls} is not known")
    # The first generation names the sensors a model was made for as hardware it references.
    for hardware in _objects(g, node, [n.hasHardwareReference for n in NNET]):
        kinds = [local_name(c) for c in g.objects(hardware, RDF.type)
                 if _in(c, NNET) and local_name(c) != "Hardware"]
        known = [_SENSORS[k] for k in kinds if k in _SENSORS]
        found.update(known)
        if not known:
            report.append(f"model {label}: hardware {', '.join(sorted(kinds)) or '(untyped)'} "
                          "is not a sensor the registry knows")
    for target in g.objects(node, SSN.hasInput):
        if _blemished(target):
            report.append(f"model {label}: input IRI {target} is blemished; sensors providing it "
                          "may be missing")
    return sorted(found)


def _evaluation(g: Graph, metric, version: URIRef, out: Graph, label: str, report: list[str]) -> None:
    kinds = [t for t in g.objects(metric, RDF.type)] or [metric]
    kind = next((_METRICS[k] for k in (_metric_key(t) for t in kinds) if k in _METRICS), None)
    # The prototype's published data states the value with nnet:hasMetricValue.
    value = _first(g, metric, [n.hasMetricValue for n in NNET] + [SCHEMA.value, SCHEMA_HTTP.value])
    if kind is None or value is None or _decimal(value) is None:
        report.append(f"model {label}: metric {', '.join(map(str, kinds))} "
                      f"{'without a value' if value is None else 'not understood'}; left out")
        return
    node = BNode()
    out.add((version, TR.evaluation, node))
    out.add((node, RDF.type, TR.Evaluation))
    out.add((node, TR.metric, kind))
    out.add((node, SCHEMA.value, decimal_literal(_decimal(value))))
    dataset = _first(g, metric, [n.dataset for n in NNET] + [n.onDataset for n in NNET])
    if dataset is not None:
        out.add((node, TR.onDataset, _dataset(g, dataset, out)))


def _metric_key(term) -> str:
    return re.sub(r"[^a-z0-9]", "", re.split(r"[#/]", str(term))[-1].lower())


def _dataset(g: Graph, value, out: Graph) -> BNode:
    node = BNode()
    name = _text(g, value, (SCHEMA.name, SCHEMA_HTTP.name)) if not isinstance(value, Literal) else None
    out.add((node, RDF.type, TR.Dataset))
    out.add((node, SCHEMA.name, Literal(name or (str(value) if isinstance(value, Literal)
                                                 else re.split(r"[#/]", str(value))[-1]))))
    return node


def _layers(g: Graph, node):
    for n in NNET:
        for prop in (n.inputLayer, n.middleLayer, n.outputLayer):
            yield from g.objects(node, prop)


# ---------------------------------------------------------------- helpers

def _instances(g: Graph, classes):
    for cls in classes:
        yield from g.subjects(RDF.type, cls)


def _objects(g: Graph, node, props):
    for prop in props:
        yield from g.objects(node, prop)


def _first(g: Graph, node, props):
    return next(iter(_objects(g, node, props)), None)


def _text(g: Graph, node, props) -> str | None:
    value = _first(g, node, props)
    return str(value).strip() if value is not None and str(value).strip() else None


def _in(term, namespaces) -> bool:
    return any(str(term).startswith(str(ns)) for ns in namespaces)


def _decimal(value) -> Decimal | None:
    return bounded_decimal(str(value))


def _bytes(g: Graph, node, value_props, label: str, report: list[str]) -> int | None:
    """A memory figure in bytes: the value times its unit (kilobytes of 1000 bytes)."""
    raw = _first(g, node, value_props)
    number = _decimal(raw) if raw is not None else None
    if number is None:
        report.append(f"{label}: memory figure {raw!s} is not a number; left out")
        return None
    unit = _first(g, node, [SCHEMA.unitCode, SCHEMA_HTTP.unitCode])
    if isinstance(unit, Literal):
        unit = Literal(str(unit))
    if unit is None:
        report.append(f"{label}: memory figure {raw} has no unit; read as kilobytes")
        factor = 1000
    elif unit in _UNITS:
        factor = _UNITS[unit]
    else:
        report.append(f"{label}: unit {unit} is unknown; figure left out")
        return None
    return int((number * factor).to_integral_value(rounding=ROUND_HALF_UP))


def _blemished(term) -> bool:
    text = str(term)
    return text.startswith(_BASE) or "//" in text.split("://", 1)[-1]


def _key_of(node) -> str | None:
    """The last segment of a prototype IRI, its entity's key (None for its placeholder)."""
    if not isinstance(node, URIRef) or str(node) == _BASE + "None":
        return None
    tail = [p for p in re.split(r"[/#]", str(node).split("://", 1)[-1]) if p]
    return tail[-1] if len(tail) > 1 else None


def _label(node) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else "(a blank node)"


def _report_iris(g: Graph, report: list[str]) -> None:
    seen = set()
    for term in {t for triple in g for t in triple if isinstance(t, URIRef)}:
        text = str(term)
        if text.startswith(_BASE) and text not in seen:
            seen.add(text)
            report.append(f"IRI <{text[len(_BASE):]}> is relative (a program wrote a missing "
                          "value as an IRI); it matches nothing")
        elif "//" in text.split("://", 1)[-1] and text not in seen:
            seen.add(text)
            report.append(f"IRI <{text}> has a double slash; kept as written")
    report.sort()
