"""W3C WoT Thing Descriptions (TD 1.0 and 1.1) in, device graphs out.

The TD is expanded by pyld with the contexts shipped in `contexts/`, so its own triples (td:,
hctl:, jsonschema:, wotsec:) are kept as the TD ontology defines them. TinyML facts come
from the registry's context extension (`contexts/tinyreg-td-v1.jsonld`), read back from the
expanded RDF and rewritten in the device contract by `facts.to_record`.

Identity: the device IRI is minted from the TD's `id` (`device_iri(slug(id))`) so that every
device lives under the registry's base and its graph name equals its IRI. The TD's triples
are moved onto that IRI, and `owl:sameAs <id>` keeps the TD's own identity for directories
and clients that know the Thing by it. A TD without an absolute IRI as `id` is refused.
"""
from __future__ import annotations

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from ..errors import Invalid
from ..vocab import SCHEMA, SCHEMA_HTTP, TR, device_iri
from . import contexts
from .cores import core_traits, processor
from .facts import DeviceFacts, Runtime, Sensor, iri_or_text, is_iri, to_record

_EXTENSION = (TR.hasProcessor, TR.hasSensor, TR.hasRuntime)
_TD_MEMBERS = {"title", "securityDefinitions", "security", "properties", "actions", "events", "forms"}
_DEVICE_CLASSES = (TR.MicrocontrollerBoard, TR.LinuxDevice)


def is_td(doc) -> bool:
    """A JSON object whose @context names a WoT TD context."""
    return isinstance(doc, dict) and any(
        contexts.canonical(c) in contexts.TD_CONTEXTS for c in _as_list(doc.get("@context")))


def parse_td(doc: dict) -> tuple[DeviceFacts, Graph, list[str]]:
    """Facts and the TD's own triples (on the device IRI) for one Thing Description."""
    warnings: list[str] = []
    doc = dict(doc)
    doc["@context"] = _usable_contexts(doc.get("@context"), warnings, _looks_like_td(doc))
    thing_id = doc.get("id")
    if thing_id is None or thing_id == "":
        raise Invalid("the Thing Description has no id; the registry needs one to know the "
                      "device again when it is imported a second time")
    if not isinstance(thing_id, str) or not is_iri(thing_id):
        raise Invalid(f"the Thing Description's id {thing_id!r} is not an absolute IRI")
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Invalid("the Thing Description has no title")
    options = {"documentLoader": contexts.load_document}
    base = doc.get("base")
    if isinstance(base, str) and is_iri(base):
        options["base"] = base  # TD hrefs are relative to the TD's base
    try:
        dataset = jsonld.to_rdf(doc, options)
    except jsonld.JsonLdError as exc:
        raise Invalid(f"the Thing Description is not valid JSON-LD: {_pyld_message(exc)}") from None

    facts = DeviceFacts(slug=thing_id, name=title.strip(), source_format="wot-td")
    subject = URIRef(thing_id)
    device = URIRef(device_iri(thing_id))
    graph = Graph()
    for name, triples in dataset.items():
        if name != "@default":
            warnings.append(f"named graph {name} in the TD was left out")
            continue
        for t in triples:
            s, p, o = _term(t["subject"]), URIRef(t["predicate"]["value"]), _term(t["object"])
            if isinstance(s, Literal) or not is_iri(str(p)):
                warnings.append(f"a triple on the non-IRI {s or p} was left out")
                continue
            graph.add((device if s == subject else s, p, device if o == subject else o))
    graph.add((device, OWL.sameAs, subject))
    _read_extension(graph, device, facts, warnings)
    return facts, graph, warnings


def record_from_td(doc: dict):
    facts, graph, warnings = parse_td(doc)
    return to_record(facts, graph, warnings)


def _looks_like_td(doc: dict) -> bool:
    types = _as_list(doc.get("@type"))
    return "Thing" in types or bool(_TD_MEMBERS & doc.keys())


def _usable_contexts(ctx, warnings: list[str], looks_like_td: bool):
    entries = _as_list(ctx)
    kept, unknown = [], []
    for entry in entries:
        if isinstance(entry, str):
            (kept if contexts.canonical(entry) else unknown).append(entry)
        elif isinstance(entry, dict):
            kept.append(entry)
        else:
            raise Invalid(f"@context entry {entry!r} is neither a URL nor an object")
    if not any(contexts.canonical(c) in contexts.TD_CONTEXTS for c in kept):
        if unknown and len(unknown) == len(entries) and looks_like_td:
            raise Invalid(f"the only @context is remote and unknown ({', '.join(unknown)}); "
                          "the registry ships the WoT TD 1.0 and 1.1 contexts and fetches "
                          "nothing from the network")
        raise Invalid("JSON-LD but not a WoT Thing Description: no TD 1.0 or 1.1 @context")
    for url in unknown:
        warnings.append(f"@context {url} is not shipped with the registry and was left out; "
                        "terms only it defines fall back to the TD vocabulary")
    return kept


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _term(node: dict):
    kind, value = node["type"], node["value"]
    if kind == "IRI":
        # TD hrefs may be URI templates ("/properties{?fields}"): not IRIs, kept as their text.
        return iri_or_text(value)
    if kind == "blank node":
        return BNode(value[2:])
    if node.get("language"):
        return Literal(value, lang=node["language"])
    return Literal(value, datatype=URIRef(node["datatype"]))


def _pyld_message(exc: Exception) -> str:
    # pyld chains its errors; the innermost one names the actual problem.
    while exc.__cause__ is not None:
        exc = exc.__cause__
    message = exc.args[0] if exc.args else str(exc)
    code = getattr(exc, "code", None)
    details = getattr(exc, "details", None)
    where = ""
    if isinstance(details, dict):
        where = ", ".join(f"{k}={v!r}" for k, v in details.items() if isinstance(v, (str, int)))
    return " ".join(part for part in (message, f"[{code}]" if code else "",
                                      f"({where})" if where else "") if part)


def _read_extension(g: Graph, device: URIRef, facts: DeviceFacts, warnings: list[str]) -> None:
    """Move the TinyML extension's triples from `g` into `facts` (rewritten by to_record)."""
    facts.ram = _int(g, device, TR.ramBytes)
    facts.flash = _int(g, device, TR.flashBytes)
    facts.reserved_ram = _int(g, device, TR.reservedRamBytes)
    facts.reserved_flash = _int(g, device, TR.reservedFlashBytes)
    facts.board = _str(g, device, TR.board)
    facts.vendor = _str(g, device, TR.vendor)
    facts.location = _str(g, device, SCHEMA.location) or _str(g, device, SCHEMA_HTTP.location)
    facts.group = g.value(device, TR.inGroup)
    facts.connectivity = sorted(set(g.objects(device, TR.connectivity)))
    stated = [c for c in g.objects(device, RDF.type) if c in _DEVICE_CLASSES]
    node = g.value(device, TR.hasProcessor)
    if node is not None:
        core = g.value(node, TR.core)
        core_name = str(core).rsplit("#", 1)[-1] if core is not None else None
        if core_name is not None and core_traits(core_name) is None:
            raise Invalid(f"unknown core {core_name!r} in the TD's processor")
        p = processor(mcu=_str(g, node, TR.mcu), cpu=core_name, clock_hz=_int(g, node, TR.clockHz))
        for attr, prop in (("fpu", TR.hasFPU), ("dsp", TR.hasDSP), ("helium", TR.hasHelium)):
            value = g.value(node, prop)
            if value is not None:
                setattr(p, attr, bool(value.toPython()))
        p.core_count = _int(g, node, TR.coreCount) or p.core_count
        p.npu = g.value(node, TR.hasNPU)
        facts.processor = p
    for node in g.objects(device, TR.hasSensor):
        classes = [c for c in g.objects(node, RDF.type) if isinstance(c, URIRef)]
        if not classes:
            warnings.append("a sensor without @type was left out")
            continue
        facts.sensors.append(Sensor(classes, _str(g, node, SCHEMA.name)))
    for node in g.objects(device, TR.hasRuntime):
        runtime = g.value(node, TR.runtime)
        if runtime is None:
            warnings.append("a runtime without a name was left out")
            continue
        facts.runtimes.append(Runtime(runtime, _str(g, node, TR.runtimeVersion),
                                      _int(g, node, TR.ramOverheadBytes),
                                      _int(g, node, TR.codeBytes)))
    if stated:
        facts.kind = stated[0]
    elif facts.processor is not None:
        facts.kind = TR.LinuxDevice if facts.processor.application else TR.MicrocontrollerBoard
    elif facts.ram is None and facts.flash is None:
        facts.kind = TR.Device  # a TD that says nothing TinyML: a Thing, not known as a board
    if not facts.runtimes and facts.kind in _DEVICE_CLASSES:
        facts.runtimes.append(Runtime(TR.LiteRT if facts.kind == TR.LinuxDevice else TR.TFLM))
    _drop_extension(g, device)


def _drop_extension(g: Graph, device: URIRef) -> None:
    for prop in _EXTENSION:
        for node in list(g.objects(device, prop)):
            g.remove((node, None, None))
    for s, p, o in list(g.triples((device, None, None))):
        if str(p).startswith(str(TR)) or (p == RDF.type and o in _DEVICE_CLASSES):
            g.remove((s, p, o))
    for p in (SCHEMA.location, SCHEMA_HTTP.location):
        g.remove((device, p, None))


def _int(g: Graph, node, prop) -> int | None:
    value = g.value(node, prop)
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise Invalid(f"{prop.n3(g.namespace_manager)} is not an integer: {value!s}") from None


def _str(g: Graph, node, prop) -> str | None:
    value = g.value(node, prop)
    return str(value) if value is not None else None
