"""Zephyr board-target YAML files (`boards/<vendor>/<board>/<target>.yaml`, twister format).

`ram` and `flash` are KiB. The file names the architecture but not the core, so the core is
derived from the part in the target identifier ("nrf52840dk/nrf52840" -> nRF52840). Targets
that omit ram/flash (several Espressif ones do upstream) are registered as incomplete.
"""
from __future__ import annotations

from ..errors import Invalid
from ..fields import Fields
from ..vocab import TR
from .cores import processor
from .facts import DeviceFacts, Runtime, source_iri, to_bytes, to_record

_LINKS = {"ble": TR.BLE, "bluetooth": TR.BLE, "wifi": TR.WiFi, "netif:eth": TR.Ethernet,
          "eth": TR.Ethernet, "netif:openthread": TR.Thread, "ieee802154": TR.Thread,
          "lora": TR.LoRa, "modem": TR.Cellular, "usb_device": TR.USB, "usbd": TR.USB}


def is_zephyr(doc) -> bool:
    return isinstance(doc, dict) and "identifier" in doc and ("arch" in doc or "ram" in doc)


def record_from_zephyr(doc: dict):
    top = Fields(doc)
    identifier = top.text("identifier", scalar=True)
    if identifier is None:
        raise Invalid("the Zephyr board file has no identifier")
    facts = DeviceFacts(key=f"zephyr-{identifier}", name=top.text("name", scalar=True) or identifier,
                        source_format="zephyr", source=source_iri("zephyr", identifier),
                        board=identifier, vendor=top.text("vendor", scalar=True))
    for field in ("ram", "flash"):
        if top.get(field) is not None:
            setattr(facts, field, to_bytes(top.number(field), "KiB", field))
    # "nrf5340dk/nrf5340/cpuapp": the SoC is the second part of a hardware-model v2 name.
    parts = identifier.split("@")[0].split("/")
    mcu = parts[1] if len(parts) > 1 else None
    found = processor(mcu=mcu or identifier)
    if mcu is not None or found.core is not None:
        facts.processor = found
    if top.text("type") == "mcu":
        facts.runtimes.append(Runtime(TR.TFLM))
    supported = [s.lower() for s in top.texts("supported", scalar=True)]
    facts.connectivity = sorted({_LINKS[s] for s in supported if s in _LINKS})
    return to_record(facts)
