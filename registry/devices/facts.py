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


@dataclass
class DeviceRecord:
    iri: str
    graph: Graph
    warnings: list[str] = field(default_factory=list)


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


def to_record(facts: DeviceFacts, graph: Graph | None = None,
              warnings: list[str] | None = None) -> DeviceRecord:
    """Write `facts` into `graph` (a fresh one by default) in the registry's device contract."""
    check_memory(facts)
    iri = URIRef(device_iri(facts.slug))
    g = graph if graph is not None else Graph()
    add = g.add
    add((iri, RDF.type, facts.kind))
    add((iri, SCHEMA.name, Literal(facts.name)))
    add((iri, SCHEMA.identifier, Literal(slug(facts.slug))))
    add((iri, TR.sourceFormat, Literal(facts.source_format)))
    for prop, value in ((TR.board, facts.board), (TR.vendor, facts.vendor),
                        (SCHEMA.location, facts.location)):
        if value:
            add((iri, prop, Literal(value)))
    for prop, value in ((TR.ramBytes, facts.ram), (TR.flashBytes, facts.flash),
                        (TR.reservedRamBytes, facts.reserved_ram),
                        (TR.reservedFlashBytes, facts.reserved_flash)):
        if value is not None:
            add((iri, prop, Literal(int(value), datatype=XSD.integer)))
    for reason in incomplete_reasons(facts):
        add((iri, TR.incomplete, Literal(reason)))
    if facts.processor is not None:
        _add_processor(g, iri, facts.processor)
    for sensor in facts.sensors:
        _add_sensor(g, iri, sensor)
    for runtime in facts.runtimes:
        node = BNode()
        add((iri, TR.hasRuntime, node))
        add((node, RDF.type, TR.RuntimeInstall))
        add((node, TR.runtime, runtime.runtime))
        if runtime.version:
            add((node, TR.runtimeVersion, Literal(runtime.version)))
        if runtime.ram_overhead is not None:
            add((node, TR.ramOverheadBytes, Literal(runtime.ram_overhead, datatype=XSD.integer)))
        if runtime.code_bytes is not None:
            add((node, TR.codeBytes, Literal(runtime.code_bytes, datatype=XSD.integer)))
    for link in facts.connectivity:
        add((iri, TR.connectivity, link))
    if facts.group is not None:
        add((iri, TR.inGroup, facts.group))
    for source in facts.sources:
        add((iri, DCTERMS.source, iri_or_text(source)))
    for note in facts.notes:
        add((iri, DCTERMS.description, Literal(note)))
    return DeviceRecord(str(iri), g, list(warnings or []))


def _add_processor(g: Graph, device: URIRef, p: Processor) -> None:
    node = BNode()
    g.add((device, TR.hasProcessor, node))
    g.add((node, RDF.type, TR.ApplicationProcessor if p.application else TR.Microcontroller))
    if p.mcu:
        g.add((node, TR.mcu, Literal(p.mcu)))
    if p.core is not None:
        g.add((node, TR.core, p.core))
    for prop, value in ((TR.clockHz, p.clock_hz), (TR.coreCount, p.core_count)):
        if value is not None:
            g.add((node, prop, Literal(int(value), datatype=XSD.integer)))
    for prop, value in ((TR.hasFPU, p.fpu), (TR.hasDSP, p.dsp), (TR.hasHelium, p.helium)):
        if value is not None:
            g.add((node, prop, Literal(bool(value))))
    if p.npu is not None:
        g.add((node, TR.hasNPU, p.npu))


def _add_sensor(g: Graph, device: URIRef, sensor: Sensor) -> None:
    node = BNode()
    g.add((device, TR.hasSensor, node))
    for cls in sensor.classes:
        g.add((node, RDF.type, cls))
    if sensor.name:
        g.add((node, SCHEMA.name, Literal(sensor.name)))
    # Stated, not inferred: SPARQL and SHACL see an IMU's accelerometer without a reasoner.
    for part in subsystems(sensor.classes):
        child = BNode()
        g.add((node, SSN.hasSubSystem, child))
        g.add((child, RDF.type, part))
