"""What every device importer fills in, and the one function that turns it into RDF.

Each format (catalog, WoT TD, PlatformIO, Zephyr, the prototype's Turtle) only reads its own
syntax into `DeviceFacts`; `to_record()` writes the contract graph, so the shapes and the
compatibility engine see one shape whatever the source was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ..errors import Invalid
from ..vocab import SCHEMA, SSN, TR, device_iri, slug
from .sensors import subsystems

# Larger figures are typos (a KiB value given in bytes twice, a stray exponent), not devices.
MAX_MCU_BYTES = 2**30
MAX_DEVICE_BYTES = 2**40

UNIT_FACTORS = {"B": 1, "byte": 1, "bytes": 1, "kB": 1000, "KB": 1000, "KiB": 1024,
                "MB": 1000**2, "MiB": 1024**2, "GB": 1000**3, "GiB": 1024**3}


@dataclass
class Sensor:
    classes: list[URIRef]
    name: str | None = None


@dataclass
class Processor:
    mcu: str | None = None
    core: URIRef | None = None
    clock_hz: int | None = None
    fpu: bool | None = None
    dsp: bool | None = None
    helium: bool | None = None
    core_count: int | None = None
    npu: URIRef | None = None
    application: bool = False  # an application processor (Linux SoC) rather than an MCU


@dataclass
class Runtime:
    runtime: URIRef
    version: str | None = None
    ram_overhead: int | None = None
    code_bytes: int | None = None


@dataclass
class DeviceFacts:
    slug: str
    name: str
    source_format: str
    kind: URIRef = TR.MicrocontrollerBoard
    board: str | None = None
    vendor: str | None = None
    ram: int | None = None
    flash: int | None = None
    reserved_ram: int | None = None
    reserved_flash: int | None = None
    processor: Processor | None = None
    sensors: list[Sensor] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)
    connectivity: list[URIRef] = field(default_factory=list)
    group: URIRef | None = None
    location: str | None = None
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class DeviceRecord:
    """One device: its IRI (also its graph's name), its triples and what the reader noticed.

    The triples are kept as a list and turned into an rdflib Graph only when asked for, so a
    bulk import can hand N-Triples text straight to the store.
    """

    def __init__(self, iri: str, graph: Graph | None = None, warnings: list[str] | None = None,
                 triples: list[tuple] | None = None):
        self.iri = iri
        self._graph = graph
        self._triples = triples
        self.warnings = list(warnings or [])

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = Graph()
            for triple in self._triples:
                self._graph.add(triple)
        return self._graph

    def ntriples(self) -> str:
        if self._triples is None:
            return self._graph.serialize(format="nt")
        return "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in self._triples)


def _nt(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    lexical = (str(term).replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is not None and term.datatype != XSD.string:
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def is_iri(text: str) -> bool:
    """An absolute IRI that every store accepts (rdflib alone lets some invalid ones through)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return ":" in text


def iri_or_text(text: str):
    """An IRI when `text` is one, else the text as an xsd:anyURI literal so nothing is lost."""
    return URIRef(text) if is_iri(text) else Literal(text, datatype=XSD.anyURI)


def to_bytes(value, unit: str, what: str) -> int:
    """An exact byte count from a figure in `unit`; kB are 1000 bytes, KiB 1024."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{what} is not a number: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"{what} is not a number: {value!r}") from None
    if not amount.is_finite():
        raise Invalid(f"{what} is not a number: {value!r}")
    return int((amount * UNIT_FACTORS[unit]).to_integral_value())


def check_memory(facts: DeviceFacts) -> None:
    """Refuse figures no device has: negative, zero, or beyond any board of its kind."""
    limit = MAX_DEVICE_BYTES if facts.kind == TR.LinuxDevice else MAX_MCU_BYTES
    for label, value in (("RAM", facts.ram), ("flash", facts.flash),
                         ("reserved RAM", facts.reserved_ram),
                         ("reserved flash", facts.reserved_flash)):
        if value is None:
            continue
        if value < 0:
            raise Invalid(f"{label} is negative ({value} bytes)")
        if value == 0 and not label.startswith("reserved"):
            raise Invalid(f"{label} is zero bytes")
        if value > limit:
            raise Invalid(f"{label} of {value} bytes is beyond any such device "
                          f"(limit {limit} bytes); check the unit")
    for label, total, reserved in (("RAM", facts.ram, facts.reserved_ram),
                                   ("flash", facts.flash, facts.reserved_flash)):
        if total is not None and reserved is not None and reserved > total:
            raise Invalid(f"reserved {label} ({reserved} bytes) exceeds the total ({total} bytes)")


def incomplete_reasons(facts: DeviceFacts) -> list[str]:
    # A Linux-class device loads models from its storage (microSD, NVMe), not from flash.
    needed = [("RAM", facts.ram)]
    if facts.kind != TR.LinuxDevice:
        needed.append(("flash", facts.flash))
    return [f"no {label} figure" for label, value in needed if value is None]


# Predicates as plain constants: Namespace attribute lookups cost more than the triple.
_TYPE, _NAME, _IDENT = RDF.type, SCHEMA.name, SCHEMA.identifier
_FORMAT, _RUNTIME_OF, _RUNTIME = TR.sourceFormat, TR.hasRuntime, TR.runtime
_FIGURES = (TR.ramBytes, TR.flashBytes, TR.reservedRamBytes, TR.reservedFlashBytes)
_LABELS = (TR.board, TR.vendor, SCHEMA.location)
_BOOLS = (TR.hasFPU, TR.hasDSP, TR.hasHelium)


def _integer(value) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def to_record(facts: DeviceFacts, graph: Graph | None = None,
              warnings: list[str] | None = None) -> DeviceRecord:
    """The device contract for `facts`, added to `graph` when one is given (a TD's own triples)."""
    check_memory(facts)
    iri = URIRef(device_iri(facts.slug))
    t: list[tuple] = []
    add = t.append
    add((iri, _TYPE, facts.kind))
    add((iri, _NAME, Literal(facts.name)))
    add((iri, _IDENT, Literal(slug(facts.slug))))
    add((iri, _FORMAT, Literal(facts.source_format)))
    for prop, value in zip(_LABELS, (facts.board, facts.vendor, facts.location)):
        if value:
            add((iri, prop, Literal(value)))
    for prop, value in zip(_FIGURES, (facts.ram, facts.flash, facts.reserved_ram,
                                      facts.reserved_flash)):
        if value is not None:
            add((iri, prop, _integer(value)))
    for reason in incomplete_reasons(facts):
        add((iri, TR.incomplete, Literal(reason)))
    if facts.processor is not None:
        _add_processor(add, iri, facts.processor)
    for sensor in facts.sensors:
        _add_sensor(add, iri, sensor)
    for runtime in facts.runtimes:
        node = BNode()
        add((iri, _RUNTIME_OF, node))
        add((node, _TYPE, TR.RuntimeInstall))
        add((node, _RUNTIME, runtime.runtime))
        if runtime.version:
            add((node, TR.runtimeVersion, Literal(runtime.version)))
        if runtime.ram_overhead is not None:
            add((node, TR.ramOverheadBytes, _integer(runtime.ram_overhead)))
        if runtime.code_bytes is not None:
            add((node, TR.codeBytes, _integer(runtime.code_bytes)))
    for link in facts.connectivity:
        add((iri, TR.connectivity, link))
    if facts.group is not None:
        add((iri, TR.inGroup, facts.group))
    for source in facts.sources:
        add((iri, DCTERMS.source, iri_or_text(source)))
    for note in facts.notes:
        add((iri, DCTERMS.description, Literal(note)))
    if graph is None:
        return DeviceRecord(str(iri), warnings=warnings, triples=t)
    for triple in t:
        graph.add(triple)
    return DeviceRecord(str(iri), graph, warnings)


def _add_processor(add, device: URIRef, p: Processor) -> None:
    node = BNode()
    add((device, TR.hasProcessor, node))
    add((node, _TYPE, TR.ApplicationProcessor if p.application else TR.Microcontroller))
    if p.mcu:
        add((node, TR.mcu, Literal(p.mcu)))
    if p.core is not None:
        add((node, TR.core, p.core))
    for prop, value in ((TR.clockHz, p.clock_hz), (TR.coreCount, p.core_count)):
        if value is not None:
            add((node, prop, _integer(value)))
    for prop, value in zip(_BOOLS, (p.fpu, p.dsp, p.helium)):
        if value is not None:
            add((node, prop, Literal(bool(value))))
    if p.npu is not None:
        add((node, TR.hasNPU, p.npu))


def _add_sensor(add, device: URIRef, sensor: Sensor) -> None:
    node = BNode()
    add((device, TR.hasSensor, node))
    for cls in sensor.classes:
        add((node, _TYPE, cls))
    if sensor.name:
        add((node, _NAME, Literal(sensor.name)))
    # Stated, not inferred: SPARQL and SHACL see an IMU's accelerometer without a reasoner.
    for part in subsystems(sensor.classes):
        child = BNode()
        add((node, SSN.hasSubSystem, child))
        add((child, _TYPE, part))
