"""Which format a device file is in, from its content (the file name is only a hint).

JSON is tried first (TDs and PlatformIO manifests), then Turtle by its directives or
extension, then YAML (Zephyr board files and the registry's catalog). Each parse failure
becomes an `Invalid` that says what the content was expected to be.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

# libyaml's loader when PyYAML was built with it: the same safe subset, far faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from ..errors import Invalid
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
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return Detected(_json_format(doc), doc)
    if name.endswith(_TURTLE_SUFFIXES) or _TURTLE.search(data):
        return Detected("turtle", data)
    try:
        doc = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise Invalid(f"invalid YAML{where}: {problem}") from None
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
