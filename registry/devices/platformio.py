"""PlatformIO board manifests (`boards/*.json` of a PlatformIO platform).

The manifest states memory in bytes (`upload.maximum_ram_size`, `upload.maximum_size`: the
flash the upload tool may write), the core (`build.cpu`), the part (`build.mcu`) and the
clock (`build.f_cpu`, a C literal such as "64000000L"). Nothing about sensors: none is said.
"""
from __future__ import annotations

import re

from ..errors import Invalid
from ..vocab import TR
from .cores import processor
from .facts import DeviceFacts, Runtime, to_bytes, to_record

_LINKS = {"bluetooth": TR.BLE, "wifi": TR.WiFi, "ethernet": TR.Ethernet, "cellular": TR.Cellular,
          "lora": TR.LoRa, "zigbee": TR.Zigbee, "thread": TR.Thread, "6lowpan": TR.Thread}


def is_platformio(doc) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("build"), dict)
            and isinstance(doc.get("upload"), dict) and "name" in doc)


def record_from_platformio(doc: dict, filename: str | None):
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("the board manifest has no name")
    build, upload = doc["build"], doc["upload"]
    board_id = _board_id(filename) or name
    warnings = []
    facts = DeviceFacts(slug=f"platformio-{board_id}", name=name.strip(),
                        source_format="platformio", board=name.strip(),
                        vendor=doc.get("vendor") or None)
    if "maximum_ram_size" in upload:
        facts.ram = to_bytes(upload["maximum_ram_size"], "B", "upload.maximum_ram_size")
    if "maximum_size" in upload:
        facts.flash = to_bytes(upload["maximum_size"], "B", "upload.maximum_size")
    facts.processor = processor(mcu=build.get("mcu"), cpu=build.get("cpu"),
                                clock_hz=_clock(build.get("f_cpu")),
                                flags=str(build.get("extra_flags", "")))
    if facts.processor.core is None and build.get("cpu"):
        warnings.append(f"core {build['cpu']!r} is not one the registry knows")
    if facts.processor.application:
        facts.kind = TR.LinuxDevice
    facts.runtimes.append(Runtime(TR.LiteRT if facts.processor.application else TR.TFLM))
    facts.connectivity = [_LINKS[c.lower()] for c in doc.get("connectivity", [])
                          if isinstance(c, str) and c.lower() in _LINKS]
    if isinstance(doc.get("url"), str) and doc["url"].startswith(("http://", "https://")):
        facts.sources.append(doc["url"])
    return to_record(facts, warnings=warnings)


def _board_id(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = re.split(r"[\\/]", filename)[-1]
    return stem[:-5] if stem.lower().endswith(".json") else stem


def _clock(value) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)[uUlL]*\s*", str(value))
    if not match:
        raise Invalid(f"build.f_cpu {value!r} is not a clock in Hz")
    return int(match.group(1))
