"""What every device importer fills in, and the one function that turns it into RDF.

Each format (catalog, WoT TD, PlatformIO, Zephyr, the prototype's Turtle) only reads its own
syntax into `DeviceFacts`; `to_record()` writes the contract graph, so the shapes and the
compatibility engine see one shape whatever the source was.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF

from ..errors import Invalid
from ..store.terms import to_rdflib
from ..vocab import DEVICE_BASE, SCHEMA, SSN, TR, device_id
from . import nt
from .sensors import subsystems

# Larger figures are typos (a KiB value given in bytes twice, a stray exponent), not devices.
MAX_MCU_BYTES = 2**30
MAX_DEVICE_BYTES = 2**40
MAX_CLOCK_HZ = 10**11  # 100 GHz
MAX_CORES = 4096

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
    ram_overhead: int | None = None  # the device's own figures: tr:runtimeRamBytes
    code_bytes: int | None = None  # tr:runtimeCodeBytes


@dataclass
class Region:
    """A named block of memory (tr:MemoryRegion): an on-chip bank, external RAM or flash."""
    name: str
    kind: URIRef | None = None  # a tr:MemoryKind
    size: int | None = None
    on_chip: bool | None = None
    takes_arena: bool | None = None  # the runtime can place a tensor arena there
    takes_weights: bool | None = None  # the runtime can read a model's constants there in place


@dataclass
class Reserve:
    """What the platform keeps of the total (tr:MemoryReserve), with its reason and source."""
    reason: str
    size: int | None = None  # None: present, size not established
    source: str | None = None


@dataclass
class DeviceFacts:
    key: str  # the id its source gives the device, exactly: what its identifier is minted from
    name: str
    source_format: str
    source: str | None = None  # the device's IRI in its source (owl:sameAs); see source_iri
    kind: URIRef = TR.MicrocontrollerBoard
    board: str | None = None
    vendor: str | None = None
    ram: int | None = None  # usable: what an application can use (tr:usableRamBytes)
    flash: int | None = None  # usable (tr:usableFlashBytes)
    ram_total: int | None = None  # tr:totalRamBytes
    flash_total: int | None = None  # tr:totalFlashBytes
    reserved_ram: int | None = None  # what the device's own firmware keeps of the usable RAM
    reserved_flash: int | None = None
    ram_reserves: list[Reserve] = field(default_factory=list)  # total - usable, item by item
    flash_reserves: list[Reserve] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    processor: Processor | None = None
    sensors: list[Sensor] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)
    connectivity: list[URIRef] = field(default_factory=list)
    group: URIRef | None = None
    location: str | None = None
    public_key: str | None = None  # base64 Ed25519: signs the device's pull requests
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class DeviceRecord:
    """One device: its IRI (also its graph's name), its triples and what the reader noticed.

    The triples are kept as N-Triples text, which is what the store loads; an rdflib Graph
    is made from them only when asked for (tests, the prototype reader adding to a record).
    """

    def __init__(self, iri: str, text: str, warnings: list[str] | None = None,
                 source: str | None = None):
        self.iri = iri
        self.source = source  # what the device is owl:sameAs: who owns its identifier
        self._text = text
        self._graph: Graph | None = None
        self.warnings = list(warnings or [])

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = read_rdf(self._text, ox.RdfFormat.N_TRIPLES)
        return self._graph

    def ntriples(self) -> str:
        return self._text if self._graph is None else self._graph.serialize(format="nt")

    def graph_like(self) -> str | Graph:
        """Its own N-Triples text (blank node labels unique to it: `nt.blank`), or the Graph
        once a reader added to it."""
        return self._text if self._graph is None else self._graph


# An rdflib graph takes some 60 us a triple: 50,000 triples are seconds of work already.
MAX_TRIPLES = 50_000


def read_rdf(data: bytes | str, syntax, base: str | None = None) -> Graph:
    """A graph from Turtle or N-Triples, read by Oxigraph's parser: it reads nesting of any
    depth without recursing, and literals keep their text (see `terms.to_rdflib`)."""
    graph = Graph()
    add = graph.add
    try:
        for count, t in enumerate(ox.parse(data, format=syntax, base_iri=base)):
            if count == MAX_TRIPLES:
                raise Invalid(f"more than {MAX_TRIPLES:,} triples in one file; split it")
            add((to_rdflib(t.subject, exact=True), to_rdflib(t.predicate, exact=True),
                 to_rdflib(t.object, exact=True)))
    except SyntaxError as exc:
        raise Invalid(f"not readable {syntax.name}: {exc}") from None
    except TypeError:  # an RDF 1.2 triple term
        raise Invalid(f"not readable {syntax.name}: triple terms are not read") from None
    return graph


def is_iri(text: str) -> bool:
    """An absolute IRI that every store accepts (rdflib alone lets some invalid ones through)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return ":" in text


def iri_or_text(text: str) -> str:
    """An IRI when `text` is one, else the text as an xsd:anyURI literal so nothing is lost."""
    return f"<{text}>" if is_iri(text) else nt.literal(text, nt.XSD_ANYURI)


def source_iri(kind: str, name: str) -> str:
    """The IRI a device is owl:sameAs when its source names it without an IRI (a catalog
    board's id, a Zephyr target): one per format and name, so two sources that mint the
    same identifier are told apart."""
    if not _URN_SAFE.fullmatch(name):  # most names need no escape: spare them quote()
        name = quote(name.encode("utf-8", "surrogatepass"), safe="/")
    return f"urn:tinyreg:{kind}:{name}"


_URN_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")


def bounded_decimal(value) -> Decimal | None:
    """A finite number from a figure (text or number) small enough to multiply and turn
    into an int; None when it is not one. 1e999999999 would be a billion-digit int."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() > 30:
        return None
    return amount


def to_bytes(value, unit: str, what: str) -> int:
    """An exact byte count from a figure in `unit`; kB are 1000 bytes, KiB 1024."""
    amount = bounded_decimal(value)
    if amount is None:
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:39]}…"
        raise Invalid(f"{what} is not a number of a size any device has: {shown}")
    return int((amount * UNIT_FACTORS[unit]).to_integral_value())


_LINUX_DEVICE = TR.LinuxDevice


def check_figures(facts: DeviceFacts) -> None:
    """Refuse figures no device has: memory negative, zero, beyond any board of its kind,
    or a part larger than its whole; clocks, core counts and runtime sizes beyond any
    device."""
    limit = MAX_DEVICE_BYTES if facts.kind == _LINUX_DEVICE else MAX_MCU_BYTES
    for label, value in (("RAM", facts.ram), ("flash", facts.flash),
                         ("total RAM", facts.ram_total), ("total flash", facts.flash_total),
                         ("reserved RAM", facts.reserved_ram),
                         ("reserved flash", facts.reserved_flash),
                         *((f"region {r.name}", r.size) for r in facts.regions)):
        if value is None:
            continue
        if value < 0:
            raise Invalid(f"{label} is negative ({_shown(value)} bytes)")
        if value == 0 and not label.startswith("reserved"):
            raise Invalid(f"{label} is zero bytes")
        # External memory can exceed what a chip holds; a region still has the bound of any device.
        high = MAX_DEVICE_BYTES if label.startswith("region") else limit
        if value > high:
            raise Invalid(f"{label} of {_shown(value)} bytes is beyond any such device "
                          f"(limit {high} bytes); check the unit")
    for label, total, reserved in (("RAM", facts.ram, facts.reserved_ram),
                                   ("flash", facts.flash, facts.reserved_flash)):
        if total is not None and reserved is not None and reserved > total:
            raise Invalid(f"reserved {label} ({reserved} bytes) exceeds the total ({total} bytes)")
    for label, usable, total in (("RAM", facts.ram, facts.ram_total),
                                 ("flash", facts.flash, facts.flash_total)):
        if usable is not None and total is not None and usable > total:
            raise Invalid(f"usable {label} ({usable} bytes) exceeds the total ({total} bytes)")
    # Below zero the description shapes say what is wrong; above these, nothing is a device.
    p = facts.processor
    others = [("the clock", p and p.clock_hz, MAX_CLOCK_HZ, "Hz"),
              ("the core count", p and p.core_count, MAX_CORES, "cores")]
    for runtime in facts.runtimes:
        others += [("a runtime's RAM overhead", runtime.ram_overhead, MAX_DEVICE_BYTES, "bytes"),
                   ("a runtime's code", runtime.code_bytes, MAX_DEVICE_BYTES, "bytes")]
    for label, value, high, unit in others:
        if value is not None and value > high:
            raise Invalid(f"{label} of {_shown(value)} {unit} is beyond any device "
                          f"(at most {high} {unit})")


def _shown(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"a number of {len(text.lstrip('-'))} digits"


def incomplete_reasons(facts: DeviceFacts) -> list[str]:
    # A Linux-class device loads models from its storage (microSD, NVMe), not from flash.
    needed = [("RAM", facts.ram, facts.ram_total)]
    if facts.kind != _LINUX_DEVICE:
        needed.append(("flash", facts.flash, facts.flash_total))
    return [f"no {label} figure" if total is None else f"no usable {label} figure"
            for label, usable, total in needed if usable is None]


# Predicates and classes as N-Triples text, written once.
_TYPE, _NAME, _IDENT = f"<{RDF.type}>", f"<{SCHEMA.name}>", f"<{SCHEMA.identifier}>"
_SAME_AS = f"<{OWL.sameAs}>"
_FORMAT, _INCOMPLETE = f"<{TR.sourceFormat}>", f"<{TR.incomplete}>"
_FIGURES = tuple(f"<{p}>" for p in (TR.usableRamBytes, TR.usableFlashBytes, TR.totalRamBytes,
                                   TR.totalFlashBytes, TR.reservedRamBytes, TR.reservedFlashBytes))
_LABELS = tuple(f"<{p}>" for p in (TR.board, TR.vendor, SCHEMA.location))
_PROCESSOR, _CORE, _MCU, _NPU = (f"<{p}>" for p in (TR.hasProcessor, TR.core, TR.mcu, TR.hasNPU))
_CPU_FIGURES = (f"<{TR.clockHz}>", f"<{TR.coreCount}>")
_BOOLS = tuple(f"<{p}>" for p in (TR.hasFPU, TR.hasDSP, TR.hasHelium))
_MICROCONTROLLER, _APPLICATION = f"<{TR.Microcontroller}>", f"<{TR.ApplicationProcessor}>"
_SENSOR, _SUBSYSTEM = f"<{TR.hasSensor}>", f"<{SSN.hasSubSystem}>"
_RUNTIME_OF, _RUNTIME_INSTALL, _RUNTIME = (f"<{p}>" for p in (TR.hasRuntime, TR.RuntimeInstall,
                                                             TR.runtime))
_RUNTIME_VERSION, _OVERHEAD, _CODE = (f"<{p}>" for p in (TR.runtimeVersion, TR.runtimeRamBytes,
                                                         TR.runtimeCodeBytes))
_REGION, _REGION_CLASS, _KIND, _SIZE = (f"<{p}>" for p in (TR.memoryRegion, TR.MemoryRegion,
                                                          TR.regionKind, TR.regionBytes))
_REGION_BOOLS = tuple(f"<{p}>" for p in (TR.onChip, TR.takesArena, TR.takesWeights))
_RESERVES = (f"<{TR.ramReserve}>", f"<{TR.flashReserve}>")
_RESERVE_CLASS, _RESERVE_SIZE = f"<{TR.MemoryReserve}>", f"<{TR.reserveBytes}>"
_CONNECTIVITY, _GROUP = f"<{TR.connectivity}>", f"<{TR.inGroup}>"
_SOURCE, _DESCRIPTION = f"<{DCTERMS.source}>", f"<{DCTERMS.description}>"
_PUBLIC_KEY = f"<{TR.devicePublicKey}>"


def to_record(facts: DeviceFacts, td_triples: Iterable[tuple[str, str, str]] = (),
              warnings: list[str] | None = None) -> DeviceRecord:
    """The device contract for `facts`, with the TD's own triples when there are some."""
    check_figures(facts)
    identifier = device_id(facts.key)
    iri = DEVICE_BASE + identifier
    same_as = facts.source or source_iri(facts.source_format, facts.key)
    dev = f"<{iri}>"
    lines = [f"{s} {p} {o} .\n" for s, p, o in td_triples]
    add = lines.append
    add(f"{dev} {_TYPE} {term(facts.kind)} .\n")
    add(f"{dev} {_NAME} {nt.literal(facts.name)} .\n")
    add(f"{dev} {_IDENT} {nt.literal(identifier)} .\n")
    add(f"{dev} {_SAME_AS} <{same_as}> .\n")
    add(f"{dev} {_FORMAT} {nt.literal(facts.source_format)} .\n")
    for prop, value in zip(_LABELS, (facts.board, facts.vendor, facts.location)):
        if value:
            add(f"{dev} {prop} {nt.literal(value)} .\n")
    for prop, value in zip(_FIGURES, (facts.ram, facts.flash, facts.ram_total, facts.flash_total,
                                      facts.reserved_ram, facts.reserved_flash)):
        if value is not None:
            add(f"{dev} {prop} {nt.integer(value)} .\n")
    for region in facts.regions:
        _add_region(add, dev, region)
    for prop, reserves in zip(_RESERVES, (facts.ram_reserves, facts.flash_reserves)):
        for reserve in reserves:
            _add_reserve(add, dev, prop, reserve)
    for reason in incomplete_reasons(facts):
        add(f"{dev} {_INCOMPLETE} {nt.literal(reason)} .\n")
    if facts.processor is not None:
        _add_processor(add, dev, facts.processor)
    for sensor in facts.sensors:
        _add_sensor(add, dev, sensor)
    for runtime in facts.runtimes:
        node = nt.blank()
        add(f"{dev} {_RUNTIME_OF} {node} .\n")
        add(f"{node} {_TYPE} {_RUNTIME_INSTALL} .\n")
        add(f"{node} {_RUNTIME} {term(runtime.runtime)} .\n")
        if runtime.version:
            add(f"{node} {_RUNTIME_VERSION} {nt.literal(runtime.version)} .\n")
        if runtime.ram_overhead is not None:
            add(f"{node} {_OVERHEAD} {nt.integer(runtime.ram_overhead)} .\n")
        if runtime.code_bytes is not None:
            add(f"{node} {_CODE} {nt.integer(runtime.code_bytes)} .\n")
    for link in facts.connectivity:
        add(f"{dev} {_CONNECTIVITY} {term(link)} .\n")
    if facts.group is not None:
        add(f"{dev} {_GROUP} {term(facts.group)} .\n")
    if facts.public_key is not None:
        add(f"{dev} {_PUBLIC_KEY} {nt.literal(facts.public_key)} .\n")
    for source in facts.sources:
        add(f"{dev} {_SOURCE} {iri_or_text(source)} .\n")
    for note in facts.notes:
        add(f"{dev} {_DESCRIPTION} {nt.literal(note)} .\n")
    # A graph is a set: a link or sensor named twice, or a TD triple the contract restates,
    # is one triple.
    return DeviceRecord(iri, "".join(dict.fromkeys(lines)), warnings, same_as)


def term(value) -> str:
    """An rdflib term of the facts (ontology IRIs, mostly) as N-Triples text."""
    return f"<{value}>" if type(value) is URIRef else nt.from_rdflib(value)


def _add_processor(add, device: str, p: Processor) -> None:
    node = nt.blank()
    add(f"{device} {_PROCESSOR} {node} .\n")
    add(f"{node} {_TYPE} {_APPLICATION if p.application else _MICROCONTROLLER} .\n")
    if p.mcu:
        add(f"{node} {_MCU} {nt.literal(p.mcu)} .\n")
    if p.core is not None:
        add(f"{node} {_CORE} {term(p.core)} .\n")
    for prop, value in zip(_CPU_FIGURES, (p.clock_hz, p.core_count)):
        if value is not None:
            add(f"{node} {prop} {nt.integer(value)} .\n")
    for prop, value in zip(_BOOLS, (p.fpu, p.dsp, p.helium)):
        if value is not None:
            add(f"{node} {prop} {nt.boolean(value)} .\n")
    if p.npu is not None:
        add(f"{node} {_NPU} {term(p.npu)} .\n")


def _add_region(add, device: str, region: Region) -> None:
    node = nt.blank()
    add(f"{device} {_REGION} {node} .\n")
    add(f"{node} {_TYPE} {_REGION_CLASS} .\n")
    add(f"{node} {_NAME} {nt.literal(region.name)} .\n")
    if region.kind is not None:
        add(f"{node} {_KIND} {term(region.kind)} .\n")
    if region.size is not None:
        add(f"{node} {_SIZE} {nt.integer(region.size)} .\n")
    for prop, value in zip(_REGION_BOOLS, (region.on_chip, region.takes_arena, region.takes_weights)):
        if value is not None:
            add(f"{node} {prop} {nt.boolean(value)} .\n")


def _add_reserve(add, device: str, prop: str, reserve: Reserve) -> None:
    node = nt.blank()
    add(f"{device} {prop} {node} .\n")
    add(f"{node} {_TYPE} {_RESERVE_CLASS} .\n")
    if reserve.size is not None:
        add(f"{node} {_RESERVE_SIZE} {nt.integer(reserve.size)} .\n")
    add(f"{node} {_DESCRIPTION} {nt.literal(reserve.reason)} .\n")
    if reserve.source:
        add(f"{node} {_SOURCE} {iri_or_text(reserve.source)} .\n")


def _add_sensor(add, device: str, sensor: Sensor) -> None:
    node = nt.blank()
    add(f"{device} {_SENSOR} {node} .\n")
    for cls in sensor.classes:
        add(f"{node} {_TYPE} {term(cls)} .\n")
    if sensor.name:
        add(f"{node} {_NAME} {nt.literal(sensor.name)} .\n")
    # Stated, not inferred: SPARQL and SHACL see an IMU's accelerometer without a reasoner.
    for part in subsystems(sensor.classes):
        child = nt.blank()
        add(f"{node} {_SUBSYSTEM} {child} .\n")
        add(f"{child} {_TYPE} {term(part)} .\n")
