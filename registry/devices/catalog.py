"""The bundled board catalog (`boards.yaml`), the registry's default demo data.

The YAML keeps the figures as a person checks them against a datasheet ("320 KiB",
"8 MiB SDRAM"); this module adds them up into exact bytes and writes what was added into
the device's description, so the total stays traceable to its parts.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from ..errors import Invalid
from ..vocab import TR
from .cores import core_traits, processor
from .detect import YAML_LOADER
from .facts import DeviceFacts, DeviceRecord, Runtime, Sensor, to_bytes, to_record
from .sensors import sensor_class

# Beside the module, so the wheel carries it as package data like the contexts.
CATALOG = Path(__file__).parent / "boards.yaml"
_FIGURE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\b\s*(.*)$")


def iter_catalog(path: Path | None = None) -> Iterator[DeviceRecord]:
    """One record per board of the catalog (the bundled one by default)."""
    data = yaml.load((path or CATALOG).read_text(encoding="utf-8"), Loader=YAML_LOADER)
    yield from records_from_catalog(data)


def records_from_catalog(data) -> Iterator[DeviceRecord]:
    if not isinstance(data, dict) or not isinstance(data.get("boards"), list):
        raise Invalid("a board catalog is a mapping with a `boards` list")
    for index, entry in enumerate(data["boards"]):
        label = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        try:
            yield to_record(board_facts(entry))
        except Invalid as exc:
            raise Invalid(f"catalog board {label}: {exc.detail}") from None


def board_facts(entry: dict) -> DeviceFacts:
    for key in ("id", "name", "source"):
        if not entry.get(key):
            raise Invalid(f"has no {key}")
    linux = entry.get("kind") == "linux"
    facts = DeviceFacts(slug=entry["id"], name=entry["name"], source_format="catalog",
                        kind=TR.LinuxDevice if linux else TR.MicrocontrollerBoard,
                        board=entry["name"], vendor=entry.get("vendor"),
                        sources=[entry["source"]])
    ram_parts = [_figure(entry, key) for key in ("sram", "ram", "ext_ram") if key in entry]
    flash_parts = [_figure(entry, key) for key in ("flash", "ext_flash") if key in entry]
    facts.ram = sum(b for b, _ in ram_parts) if ram_parts else None
    facts.flash = sum(b for b, _ in flash_parts) if flash_parts else None
    if len(ram_parts) > 1 or len(flash_parts) > 1:
        facts.notes.append("; ".join(
            f"{what} = {' + '.join(text for _, text in parts)}"
            for what, parts in (("RAM", ram_parts), ("flash", flash_parts)) if len(parts) > 1))
    if entry.get("note"):
        facts.notes.append(entry["note"])
    if entry.get("core") and core_traits(entry["core"]) is None:
        raise Invalid(f"unknown core {entry['core']!r}")
    clock = entry.get("clock_mhz")
    p = processor(mcu=str(entry.get("mcu") or "") or None, cpu=entry.get("core"),
                  clock_hz=int(round(float(clock) * 1_000_000)) if clock else None)
    p.core_count = entry.get("cores") or p.core_count
    for attr in ("fpu", "dsp", "helium"):
        if attr in entry:
            setattr(p, attr, bool(entry[attr]))
    if entry.get("npu"):
        p.npu = TR[entry["npu"]]
    facts.processor = p
    for sensor in entry.get("sensors") or []:
        types = sensor["type"] if isinstance(sensor["type"], list) else [sensor["type"]]
        facts.sensors.append(Sensor([sensor_class(t) for t in types], sensor.get("part")))
    facts.connectivity = [TR[c] for c in entry.get("connectivity") or []]
    runtime = entry.get("runtime") or ("LiteRT" if linux else "TFLM")
    facts.runtimes.append(Runtime(TR[runtime]))
    return facts


def _figure(entry: dict, key: str) -> tuple[int, str]:
    text = str(entry[key])
    match = _FIGURE.match(text)
    if not match:
        raise Invalid(f"{key} {text!r} is not a figure with a unit such as '256 KiB'")
    number, unit, what = match.groups()
    label = f"{number} {unit}" + (f" {what}" if what else "")
    kind = {"sram": "on-chip SRAM", "flash": "on-chip flash"}.get(key, "")
    return to_bytes(number, unit, key), f"{label} {kind}".strip()
