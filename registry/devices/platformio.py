"""PlatformIO board manifests (`boards/*.json` of a PlatformIO platform).

The manifest states memory in bytes (`upload.maximum_ram_size`, `upload.maximum_size`: the
flash the upload tool may write), the core (`build.cpu`), the part (`build.mcu`) and the
clock (`build.f_cpu`, a C literal such as "64000000L"). Nothing about sensors: none is said.
"""
from __future__ import annotations

import re

from ..errors import Invalid
from ..fields import Fields
from ..vocab import TR
from .cores import processor
from .facts import DeviceFacts, Runtime, source_iri, to_bytes, to_record

_LINKS = {"bluetooth": TR.BLE, "wifi": TR.WiFi, "ethernet": TR.Ethernet, "cellular": TR.Cellular,
          "lora": TR.LoRa, "zigbee": TR.Zigbee, "thread": TR.Thread, "6lowpan": TR.Thread}


def is_platformio(doc) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("build"), dict)
            and isinstance(doc.get("upload"), dict) and "name" in doc)


def record_from_platformio(doc: dict, filename: str | None):
    top = Fields(doc)
    name = top.text("name")
    if name is None:
        raise Invalid("the board manifest has no name")
    build, upload = top.mapping("build"), top.mapping("upload")
    board_id = _board_id(filename) or name
    warnings = []
    facts = DeviceFacts(key=f"platformio-{board_id}", name=name, source_format="platformio",
                        source=source_iri("platformio", board_id), board=name,
                        vendor=top.text("vendor", scalar=True))
    if "maximum_ram_size" in upload:
        facts.ram = to_bytes(upload.number("maximum_ram_size"), "B", upload.name("maximum_ram_size"))
    if "maximum_size" in upload:
        facts.flash = to_bytes(upload.number("maximum_size"), "B", upload.name("maximum_size"))
    cpu = build.text("cpu")
    flags = build.texts("extra_flags", scalar=True, single=True)  # a string, or a list of them
    facts.processor = processor(mcu=build.text("mcu", scalar=True), cpu=cpu,
                                clock_hz=_clock(build.text("f_cpu", scalar=True)),
                                flags=" ".join(flags))
    if facts.processor.core is None and cpu:
        warnings.append(f"core {cpu!r} is not one the registry knows")
    if facts.processor.application:
        facts.kind = TR.LinuxDevice
    facts.runtimes.append(Runtime(TR.LiteRT if facts.processor.application else TR.TFLM))
    facts.connectivity = [_LINKS[c.lower()] for c in top.texts("connectivity")
                          if c.lower() in _LINKS]
    url = top.text("url")
    if url is not None and url.startswith(("http://", "https://")):
        facts.sources.append(url)
    return to_record(facts, warnings=warnings)


def _board_id(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = re.split(r"[\\/]", filename)[-1]
    return stem[:-5] if stem.lower().endswith(".json") else stem


_CLOCK = re.compile(r"\s*(\d{1,15})[uUlL]*\s*")  # "64000000L"


def _clock(value: str | None) -> int | None:
    if value is None:
        return None
    match = _CLOCK.fullmatch(value)
    if not match:
        raise Invalid(f"build.f_cpu {value[:40]!r} is not a clock in Hz")
    return int(match.group(1))
