"""Devices into the registry: WoT Thing Descriptions, PlatformIO and Zephyr board files,
the bundled board catalog and the research prototype's Turtle, all as one device contract
(see `facts.to_record`)."""
from __future__ import annotations

from ..errors import Invalid
from .catalog import iter_catalog
from .detect import Detected, detect
from .facts import DeviceRecord
from .platformio import record_from_platformio
from .prototype import PrototypeImport, parse_prototype
from .td import record_from_td
from .zephyr import record_from_zephyr

__all__ = ["DeviceRecord", "PrototypeImport", "iter_catalog", "parse_device", "parse_prototype"]


def parse_device(data: bytes, filename: str | None = None) -> DeviceRecord:
    """One device from a single-device file; `Invalid` names what is wrong with the file."""
    return device_record(detect(data, filename), filename)


def device_record(found: Detected, filename: str | None = None) -> DeviceRecord:
    """The device of a file whose format `detect` found."""
    if found.format == "wot-td":
        return record_from_td(found.document)
    if found.format == "platformio":
        return record_from_platformio(found.document, filename)
    if found.format == "zephyr":
        return record_from_zephyr(found.document)
    raise Invalid(f"a {found.format} file holds several devices; import it as a whole "
                  "(parse_prototype or the catalog) rather than as one device")
