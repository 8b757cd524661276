"""The bundled board catalog (`boards.yaml`), the registry's default demo data.

The YAML keeps the figures as a person checks them against a datasheet ("320 KiB",
"8 MiB SDRAM") and, where audited, the usable figures in exact bytes with the reserves
between total and usable and the memory regions, each with its source (issue 18).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import Invalid
from ..fields import Fields, describe
from ..parsing import load_yaml
from ..vocab import TR
from .cores import core_traits, processor
from .facts import (DeviceFacts, DeviceRecord, Region, Reserve, Runtime, Sensor, bounded_decimal,
                    to_bytes, to_record)
from .sensors import sensor_class

# Beside the module, so the wheel carries it as package data like the contexts.
CATALOG = Path(__file__).parent / "boards.yaml"
_FIGURE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\b\s*(.*)$")


def iter_catalog(path: Path | None = None) -> Iterator[DeviceRecord]:
    """One record per board of the catalog (the bundled one by default)."""
    yield from records_from_catalog(load_yaml((path or CATALOG).read_text(encoding="utf-8")))


def records_from_catalog(data) -> Iterator[DeviceRecord]:
    if not isinstance(data, dict) or not isinstance(data.get("boards"), list):
        raise Invalid("a board catalog is a mapping with a `boards` list")
    if not data["boards"]:
        raise Invalid("the board catalog lists no boards")
    for index, entry in enumerate(data["boards"]):
        if not isinstance(entry, dict):
            raise Invalid(f"catalog board #{index + 1} is {describe(entry)}, not a mapping")
        board = Fields(entry)
        label = board.get("id")[:60] if isinstance(board.get("id"), str) else f"#{index + 1}"
        try:
            yield to_record(board_facts(board))
        except Invalid as exc:
            raise Invalid(f"catalog board {label}: {exc.detail}") from None


# What a catalog may name, by the ontology's local names.
_LINKS = {name: TR[name] for name in (
    "BLE", "WiFi", "Ethernet", "Thread", "Zigbee", "LoRa", "Cellular", "USB")}
_NPUS = {name: TR[name] for name in ("EthosU55", "EthosU65", "EthosU85")}
_RUNTIMES = {name: TR[name] for name in ("TFLM", "LiteRT")}


def board_facts(entry: Fields) -> DeviceFacts:
    identifier, name = entry.required("id", scalar=True), entry.required("name", scalar=True)
    source = entry.required("source")
    linux = entry.text("kind") == "linux"
    facts = DeviceFacts(key=identifier, name=name, source_format="catalog",
                        kind=TR.LinuxDevice if linux else TR.MicrocontrollerBoard,
                        board=name, vendor=entry.text("vendor", scalar=True), sources=[source])
    _memory(entry, facts)
    note = entry.text("note")
    if note:
        facts.notes.append(note)
    core = entry.text("core")
    if core and core_traits(core) is None:
        raise Invalid(f"unknown core {core[:40]!r}")
    p = processor(mcu=entry.text("mcu", scalar=True), cpu=core, clock_hz=_clock(entry))
    p.core_count = entry.integer("cores") or p.core_count
    for attr in ("fpu", "dsp", "helium"):
        if entry.get(attr) is not None:
            setattr(p, attr, entry.flag(attr))
    npu = entry.text("npu")
    if npu:
        p.npu = _named(npu, _NPUS, "npu")
    facts.processor = p
    for sensor in entry.mappings("sensors"):
        types = sensor.texts("type", single=True)
        if not types:
            raise Invalid(f"{sensor.name('type')} is missing")
        facts.sensors.append(Sensor([sensor_class(t) for t in types], sensor.text("part", scalar=True)))
    facts.connectivity = [_named(c, _LINKS, "connectivity") for c in entry.texts("connectivity")]
    runtime = entry.text("runtime") or ("LiteRT" if linux else "TFLM")
    facts.runtimes.append(Runtime(_named(runtime, _RUNTIMES, "runtime")))
    return facts


_KINDS = {"sram": TR.InternalSRAM, "tcm": TR.TightlyCoupledMemory, "psram": TR.PSRAM,
          "sdram": TR.SDRAM, "dram": TR.DRAM, "flash": TR.InternalFlash, "ext_flash": TR.ExternalFlash}


def _memory(entry: Fields, facts: DeviceFacts) -> None:
    """Total and usable RAM and flash, reserves and regions.

    Where the entry states usable figures (`ram_usable`, `flash_usable`: bytes, null for
    unknown) they are what verdicts read, and the totals are `ram_total` and `flash_total`.
    Otherwise the on-chip figures (`sram` or `ram`, `flash`) are both total and usable; a
    part without on-chip flash runs from its external flash (`ext_flash`). External RAM is
    never counted in RAM: it is a region, where an arena goes only if the entry says so.
    """
    on_chip_ram = [_figure(entry, key) for key in ("sram", "ram") if key in entry]
    flash = [_figure(entry, key) for key in ("flash", "ext_flash") if key in entry][:1]
    if "ram_usable" in entry:
        facts.ram, facts.ram_total = entry.integer("ram_usable"), entry.integer("ram_total")
    else:
        facts.ram = facts.ram_total = sum(b for b, _ in on_chip_ram) if on_chip_ram else None
    if "flash_usable" in entry:
        facts.flash, facts.flash_total = entry.integer("flash_usable"), entry.integer("flash_total")
    else:
        facts.flash = facts.flash_total = flash[0][0] if flash else None
    for reserve in entry.mappings("reserves"):
        memory = reserve.required("memory", scalar=True)
        if memory not in ("ram", "flash"):
            raise Invalid(f"{reserve.name('memory')} is {memory[:20]!r}, not ram or flash")
        kept = facts.ram_reserves if memory == "ram" else facts.flash_reserves
        kept.append(Reserve(reserve.required("reason"), reserve.integer("bytes"), reserve.text("source")))
    for region in entry.mappings("regions"):
        kind = region.text("kind", scalar=True)
        if kind is not None and kind not in _KINDS:
            raise Invalid(f"{region.name('kind')} {kind[:20]!r} is none of {', '.join(_KINDS)}")
        facts.regions.append(Region(region.required("name", scalar=True), _KINDS.get(kind),
                                    region.integer("bytes"), region.flag("on_chip"),
                                    region.flag("arena"), region.flag("weights")))
    if entry.text("memory_source"):
        facts.notes.append(f"Usable memory: {entry.text('memory_source')}")


def _named(word: str, known: dict, field: str):
    if word not in known:
        raise Invalid(f"{field} {word[:40]!r} is none of {', '.join(known)}")
    return known[word]


def _clock(entry: Fields) -> int | None:
    clock = entry.number("clock_mhz")
    if clock is None:
        return None
    mhz = bounded_decimal(clock)
    if mhz is None or not 0 < mhz < 100_000:
        raise Invalid(f"clock_mhz is not a clock in MHz: {describe(clock)}")
    return int(round(mhz * 1_000_000))


def _figure(entry: Fields, key: str) -> tuple[int, str]:
    text = entry.text(key, scalar=True) or ""
    match = _FIGURE.match(text)
    if not match:
        raise Invalid(f"{key} {text[:40]!r} is not a figure with a unit such as '256 KiB'")
    number, unit, what = match.groups()
    label = f"{number} {unit}" + (f" {what}" if what else "")
    kind = {"sram": "on-chip SRAM", "flash": "on-chip flash"}.get(key, "")
    return to_bytes(number, unit, key), f"{label} {kind}".strip()
