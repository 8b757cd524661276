"""Which format a device file is in, from its content (the file name is only a hint).

JSON is tried first (TDs and PlatformIO manifests), then Turtle by its directives or
extension, then YAML (Zephyr board files and the registry's catalog). Each parse failure
becomes an `Invalid` that says what the content was expected to be; JSON and YAML are
parsed within the bounds of `registry.parsing`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Invalid
from ..parsing import load_json, load_yaml
from .platformio import is_platformio
from .td import is_td
from .zephyr import is_zephyr

_TURTLE = re.compile(rb"^\s*(@prefix|@base|prefix\s|base\s)", re.IGNORECASE | re.MULTILINE)
_TURTLE_SUFFIXES = (".ttl", ".trig", ".nt", ".nq", ".n3")


@dataclass
class Detected:
    format: str  # wot-td, platformio, zephyr, catalog, turtle
    document: object  # the parsed JSON or YAML, or the bytes for Turtle


def detect(data: bytes, filename: str | None = None) -> Detected:
    name = (filename or "").lower()
    text = _text(data)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) or name.endswith((".json", ".jsonld")):
        doc = load_json(text)
        return Detected(_json_format(doc), doc)
    if name.endswith(_TURTLE_SUFFIXES) or _TURTLE.search(data):
        return Detected("turtle", data)
    doc = load_yaml(text)
    if is_zephyr(doc):
        return Detected("zephyr", doc)
    if isinstance(doc, dict) and isinstance(doc.get("boards"), list):
        return Detected("catalog", doc)
    raise Invalid("not a device description the registry reads (a WoT Thing Description, a "
                  "PlatformIO board manifest, a Zephyr board YAML, a board catalog or the "
                  "research prototype's Turtle)")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"not UTF-8 text (byte {exc.start})") from None


def _json_format(doc) -> str:
    if is_td(doc):
        return "wot-td"
    if isinstance(doc, dict) and "@context" in doc:
        return "wot-td"  # JSON-LD: the TD reader says why it is not a usable TD
    if is_platformio(doc):
        return "platformio"
    raise Invalid("JSON, but neither a WoT Thing Description (no @context) nor a PlatformIO "
                  "board manifest (no build/upload sections)")
