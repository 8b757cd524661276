"""W3C WoT Thing Descriptions (TD 1.0 and 1.1) in, device graphs out.

The TD is expanded by pyld with the contexts shipped in `contexts/`, so its own triples (td:,
hctl:, jsonschema:, wotsec:) are kept as the TD ontology defines them. TinyML facts come
from the registry's context extension (`contexts/tinyreg-td-v1.jsonld`), read back from the
expanded RDF and rewritten in the device contract by `facts.to_record`.

Identity: the device IRI is minted from the TD's `id` (`vocab.device_id`) so that every
device lives under the registry's base and its graph name equals its IRI. The TD's triples
are moved onto that IRI, and `owl:sameAs <id>` keeps the TD's own identity for directories
and clients that know the Thing by it. A TD without `id` (optional in TD 1.1) gets a urn:uuid
derived from its content, with a warning; one whose `id` is not an absolute IRI is refused.
A TD the JSON-LD processor refuses (a keyword spelt twice, "@id" beside "id") is read as TD
JSON without the JSON-LD keywords TD JSON does not define, with a warning.
"""
from __future__ import annotations

import json
import uuid
from functools import lru_cache

from pyld import jsonld
from rdflib.namespace import RDF

from ..errors import Invalid
from ..fields import Fields, as_text
from ..keys import parse_public_key, public_key_text
from ..vocab import DEVICE_BASE, SCHEMA, SCHEMA_HTTP, TR, device_id, local_name
from . import contexts, nt
from .cores import core_traits, processor
from .facts import DeviceFacts, Runtime, Sensor, iri_or_text, is_iri, to_record
from .td_walk import Unsupported, walk

Triple = tuple[str, str, str]

_TD_MEMBERS = {"title", "securityDefinitions", "security", "properties", "actions", "events", "forms"}
_TR = f"<{TR}"
_TYPE = f"<{RDF.type}>"
_DEVICE_CLASSES = (f"<{TR.MicrocontrollerBoard}>", f"<{TR.LinuxDevice}>")
_EXTENSION = {f"<{TR.hasProcessor}>", f"<{TR.hasSensor}>", f"<{TR.hasRuntime}>"}
_LOCATIONS = (f"<{SCHEMA.location}>", f"<{SCHEMA_HTTP.location}>")


def is_td(doc) -> bool:
    """A JSON object whose @context names a WoT TD context."""
    return isinstance(doc, dict) and any(
        contexts.canonical(c) in contexts.TD_CONTEXTS for c in _as_list(doc.get("@context")))


def parse_td(doc: dict) -> tuple[DeviceFacts, list[Triple], list[str]]:
    """Facts and the TD's own triples (on the device IRI, as N-Triples terms) of one TD."""
    warnings: list[str] = []
    doc = dict(doc)
    original = doc.get("@context")
    doc["@context"] = _usable_contexts(doc.get("@context"), warnings, _looks_like_td(doc))
    thing_id = doc.get("id")
    if thing_id is None or thing_id == "":
        # `id` is optional in TD 1.1: the registry still needs to know the device again.
        thing_id = anonymous_id({k: v for k, v in doc.items() if k != "@context"} | {"@context": original})
        doc["id"] = thing_id
        warnings.append(f"the Thing Description has no id; it is registered as {thing_id}, "
                        "derived from its content (the same file imports as the same device)")
    if not is_iri(as_text(thing_id, "id")):
        raise Invalid(f"the Thing Description's id {thing_id[:80]!r} is not an absolute IRI")
    title = Fields(doc).text("title")
    if title is None:
        raise Invalid("the Thing Description has no title")
    base = doc.get("base")
    base = base if isinstance(base, str) and is_iri(base) else None  # TD hrefs are relative to it

    facts = DeviceFacts(key=thing_id, name=title, source_format="wot-td", source=thing_id)
    subject, device = f"<{thing_id}>", f"<{DEVICE_BASE}{device_id(thing_id)}>"
    triples: dict[Triple, None] = {}
    for s, p, o in td_triples(doc, base, warnings):
        if s[0] == '"':
            warnings.append(f"a triple on the non-IRI {nt.lexical(s)} was left out")
            continue
        if not _is_predicate(p):
            warnings.append(f"a triple with the non-IRI predicate {p[1:-1]} was left out")
            continue
        triples[(device if s == subject else s, p, device if o == subject else o)] = None
    kept = _read_extension(list(triples), device, facts, warnings)
    return facts, kept, warnings


def td_triples(doc: dict, base: str | None, warnings: list[str]) -> list[Triple]:
    """The TD's triples: a direct walk when the TD keeps to what it covers, else pyld.

    Both give the same graph (tests/devices/test_td_walk.py holds them to it); the walk is
    some twenty times faster, which is what importing a fleet needs.
    """
    try:
        return walk(doc, base)
    except Unsupported:
        pass
    options = {"documentLoader": contexts.load_document}
    if base is not None:
        options["base"] = base
    try:
        dataset = jsonld.to_rdf(doc, options)
    except jsonld.JsonLdError as exc:
        # A TD is JSON first (TD 1.1, 5.3): consumers that read it as JSON ignore the JSON-LD
        # keywords it may spell twice ("@id" beside "id"); read it so, once.
        plain, dropped = _as_td_json(doc)
        if not dropped:
            raise Invalid(f"the Thing Description is not valid JSON-LD: {_pyld_message(exc)}") from None
        warnings.append(f"the JSON-LD processor refused the TD ({_pyld_message(exc)}); it was read "
                        f"as TD JSON, without {', '.join(sorted(dropped))}")
        return td_triples(plain, base, warnings)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:
        # pyld assumes well-formed JSON-LD in places and fails with Python's own errors
        raise Invalid(f"the Thing Description is not valid JSON-LD ({type(exc).__name__} "
                      f"in the JSON-LD processor: {str(exc)[:200]})") from None
    labels: dict[str, str] = {}

    def term(node: dict) -> str:
        kind, value = node["type"], node["value"]
        if kind == "IRI":
            # TD hrefs may be URI templates ("/properties{?fields}"): not IRIs, kept as text.
            return iri_or_text(value)
        if kind == "blank node":
            return labels.get(value) or labels.setdefault(value, nt.blank())
        return nt.literal(value, node.get("datatype"), node.get("language"))

    out = []
    for name, triples in dataset.items():
        if name != "@default":
            warnings.append(f"named graph {name} in the TD was left out")
            continue
        for t in triples:
            out.append((term(t["subject"]), f"<{t['predicate']['value']}>", term(t["object"])))
    return out


# JSON-LD keywords a TD may use as the TD specification defines them; any other "@" member is
# JSON-LD the TD's JSON form does not have.
_TD_KEYWORDS = {"@context", "@type", "@language"}


def _as_td_json(value, dropped: set[str] | None = None):
    """The TD without the JSON-LD keywords TD JSON does not define, and which it had."""
    dropped = set() if dropped is None else dropped
    if isinstance(value, dict):
        kept = {}
        for key, member in value.items():
            if key.startswith("@") and key not in _TD_KEYWORDS:
                dropped.add(key)
                continue
            kept[key] = member if key == "@context" else _as_td_json(member, dropped)[0]
        return kept, dropped
    if isinstance(value, list):
        return [_as_td_json(v, dropped)[0] for v in value], dropped
    return value, dropped


def anonymous_id(doc: dict) -> str:
    """An id for a TD without one, derived from its content (its JSON with sorted keys), as
    WoT Discovery gives anonymous TDs a urn:uuid: the same file imports as the same device."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return f"urn:uuid:{uuid.uuid5(_ANONYMOUS, text)}"


_ANONYMOUS = uuid.UUID("9d0c4c1e-5f0a-5e4e-9a57-2f3a1b7c8d10")  # tinyreg's namespace for them


@lru_cache(maxsize=4096)
def _is_predicate(p: str) -> bool:
    return is_iri(p[1:-1])


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


class _Node:
    """The triples of one subject, read the way the extension's terms are meant."""

    def __init__(self, properties: dict[str, list[str]] | None):
        self.properties = properties or {}

    def all(self, prop: str) -> list[str]:
        return self.properties.get(prop, [])

    def one(self, prop: str) -> str | None:
        values = self.properties.get(prop)
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        raise Invalid(f"{_local(prop)} is given {len(values)} values "
                      f"({', '.join(nt.lexical(v) for v in values)}); it takes one")

    def text(self, prop: str) -> str | None:
        value = self.one(prop)
        return nt.lexical(value) if value is not None else None

    def int(self, prop: str) -> int | None:
        value = self.one(prop)
        if value is None:
            return None
        try:
            return int(nt.lexical(value))
        except ValueError:
            raise Invalid(f"{_local(prop)} is not an integer: {_shown(value)}") from None

    def bool(self, prop: str) -> bool | None:
        value = self.one(prop)
        if value is None:
            return None
        text = nt.lexical(value).strip().lower()
        if text in ("true", "1", "false", "0"):
            return text in ("true", "1")
        raise Invalid(f"{_local(prop)} is not true or false: {_shown(value)}")

    def term(self, prop: str):
        value = self.one(prop)
        return nt.to_rdflib(value) if value is not None else None


_MCU_BOARD, _LINUX, _DEVICE, _TFLM, _LITERT = (
    TR.MicrocontrollerBoard, TR.LinuxDevice, TR.Device, TR.TFLM, TR.LiteRT)
_P = {name: f"<{TR[name]}>" for name in (
    "usableRamBytes", "usableFlashBytes", "totalRamBytes", "totalFlashBytes",
    "reservedRamBytes", "reservedFlashBytes", "board", "vendor",
    "inGroup", "connectivity", "hasProcessor", "hasSensor", "hasRuntime", "core", "mcu",
    "clockHz", "coreCount", "hasFPU", "hasDSP", "hasHelium", "hasNPU", "runtime",
    "runtimeVersion", "runtimeRamBytes", "runtimeCodeBytes", "devicePublicKey",
    # deprecated terms (ontology 0.3.0), read as their replacements
    "ramBytes", "flashBytes", "ramOverheadBytes", "codeBytes")}
_NAME = f"<{SCHEMA.name}>"


def _first(*values):
    return next((v for v in values if v is not None), None)


def _local(prop: str) -> str:
    """A predicate's local name from its N-Triples text."""
    return local_name(prop[1:-1])


def _read_extension(triples: list[Triple], device: str, facts: DeviceFacts,
                    warnings: list[str]) -> list[Triple]:
    """Read the TinyML extension's triples into `facts` (to_record writes them in the
    contract's terms) and return the TD's triples without them."""
    subjects: dict[str, dict[str, list[str]]] = {}
    for s, p, o in triples:  # each triple once: `triples` is a set
        properties = subjects.get(s)
        if properties is None:
            properties = subjects[s] = {}
        values = properties.get(p)
        if values is None:
            properties[p] = [o]
        else:
            values.append(o)
    dev = _Node(subjects.get(device))
    facts.ram = _first(dev.int(_P["usableRamBytes"]), dev.int(_P["ramBytes"]))
    facts.flash = _first(dev.int(_P["usableFlashBytes"]), dev.int(_P["flashBytes"]))
    facts.ram_total, facts.flash_total = dev.int(_P["totalRamBytes"]), dev.int(_P["totalFlashBytes"])
    facts.reserved_ram = dev.int(_P["reservedRamBytes"])
    facts.reserved_flash = dev.int(_P["reservedFlashBytes"])
    facts.board, facts.vendor = dev.text(_P["board"]), dev.text(_P["vendor"])
    facts.location = dev.text(_LOCATIONS[0]) or dev.text(_LOCATIONS[1])
    facts.group = dev.term(_P["inGroup"])
    key = dev.text(_P["devicePublicKey"])
    if key is not None:
        try:
            facts.public_key = public_key_text(parse_public_key(key))
        except Invalid:
            raise Invalid(f"the Thing Description's publicKey {key[:60]!r} is not an Ed25519 "
                          "public key (base64 of its 32 bytes)") from None
    facts.connectivity = [nt.to_rdflib(t) for t in sorted(set(dev.all(_P["connectivity"])))]
    stated = [c for c in _DEVICE_CLASSES if c in dev.all(_TYPE)]
    node = dev.one(_P["hasProcessor"])
    if node is not None:
        cpu = _Node(subjects.get(node))
        core = cpu.text(_P["core"])
        core_name = core.rsplit("#", 1)[-1] if core is not None else None
        if core_name is not None and core_traits(core_name) is None:
            raise Invalid(f"unknown core {core_name!r} in the TD's processor")
        p = processor(mcu=cpu.text(_P["mcu"]), cpu=core_name, clock_hz=cpu.int(_P["clockHz"]))
        for attr, name in (("fpu", "hasFPU"), ("dsp", "hasDSP"), ("helium", "hasHelium")):
            value = cpu.bool(_P[name])
            if value is not None:
                setattr(p, attr, value)
        p.core_count = cpu.int(_P["coreCount"]) or p.core_count
        p.npu = cpu.term(_P["hasNPU"])
        facts.processor = p
    for node in dev.all(_P["hasSensor"]):
        sensor = _Node(subjects.get(node))
        classes = [nt.to_rdflib(c) for c in sensor.all(_TYPE) if c[0] == "<"]
        if not classes:
            warnings.append("a sensor without @type was left out")
            continue
        facts.sensors.append(Sensor(classes, sensor.text(_NAME)))
    for node in dev.all(_P["hasRuntime"]):
        runtime = _Node(subjects.get(node))
        name = runtime.term(_P["runtime"])
        if name is None:
            warnings.append("a runtime without a name was left out")
            continue
        facts.runtimes.append(Runtime(
            name, runtime.text(_P["runtimeVersion"]),
            _first(runtime.int(_P["runtimeRamBytes"]), runtime.int(_P["ramOverheadBytes"])),
            _first(runtime.int(_P["runtimeCodeBytes"]), runtime.int(_P["codeBytes"]))))
    if stated:
        facts.kind = nt.to_rdflib(stated[0])
    elif facts.processor is not None:
        facts.kind = _LINUX if facts.processor.application else _MCU_BOARD
    elif all(v is None for v in (facts.ram, facts.flash, facts.ram_total, facts.flash_total)):
        facts.kind = _DEVICE  # a TD that says nothing TinyML: a Thing, not known as a board
    if not facts.runtimes and facts.kind in (_MCU_BOARD, _LINUX):
        facts.runtimes.append(Runtime(_LITERT if facts.kind == _LINUX else _TFLM))
    extension_nodes = {o for p in _EXTENSION for o in dev.all(p)}
    return [(s, p, o) for s, p, o in triples
            if s not in extension_nodes and not (s == device and (
                p.startswith(_TR) or p in _LOCATIONS or (p == _TYPE and o in _DEVICE_CLASSES)))]


def _shown(term: str) -> str:
    """A value as a refusal quotes it: an object given for a value is said to be one (its
    blank node's label is made up afresh each time a file is read)."""
    return "an object" if term.startswith("_:") else nt.lexical(term)
