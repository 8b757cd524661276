"""Zephyr board-target YAML files (`boards/<vendor>/<board>/<target>.yaml`, twister format).

`ram` and `flash` are KiB. The file names the architecture but not the core, so the core is
derived from the part in the target identifier ("nrf52840dk/nrf52840" -> nRF52840). Targets
that omit ram/flash (several Espressif ones do upstream) are registered as incomplete.
"""
from __future__ import annotations

from ..errors import Invalid
from ..vocab import TR
from .cores import processor
from .facts import DeviceFacts, Runtime, to_bytes, to_record

_LINKS = {"ble": TR.BLE, "bluetooth": TR.BLE, "wifi": TR.WiFi, "netif:eth": TR.Ethernet,
          "eth": TR.Ethernet, "netif:openthread": TR.Thread, "ieee802154": TR.Thread,
          "lora": TR.LoRa, "modem": TR.Cellular, "usb_device": TR.USB, "usbd": TR.USB}


def is_zephyr(doc) -> bool:
    return isinstance(doc, dict) and "identifier" in doc and ("arch" in doc or "ram" in doc)


def record_from_zephyr(doc: dict):
    identifier = doc.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        raise Invalid("the Zephyr board file has no identifier")
    name = str(doc.get("name") or identifier)
    facts = DeviceFacts(slug=f"zephyr-{identifier}", name=name, source_format="zephyr",
                        board=identifier, vendor=doc.get("vendor") or None)
    if doc.get("ram") is not None:
        facts.ram = to_bytes(doc["ram"], "KiB", "ram")
    if doc.get("flash") is not None:
        facts.flash = to_bytes(doc["flash"], "KiB", "flash")
    # "nrf5340dk/nrf5340/cpuapp": the SoC is the second part of a hardware-model v2 name.
    parts = identifier.split("@")[0].split("/")
    mcu = parts[1] if len(parts) > 1 else None
    found = processor(mcu=mcu or identifier)
    if mcu is not None or found.core is not None:
        facts.processor = found
    if doc.get("type") == "mcu":
        facts.runtimes.append(Runtime(TR.TFLM))
    supported = [str(s).lower() for s in doc.get("supported") or []]
    facts.connectivity = sorted({_LINKS[s] for s in supported if s in _LINKS})
    return to_record(facts)
