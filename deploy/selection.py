"""Which devices a deployment targets: named ones, a filter, or a SPARQL query.

A filter is `key=value` pairs joined by commas, all of which must hold:

    vendor=Arduino,runtime=TFLM        kind=LinuxDevice        group=line-3

Keys: kind, vendor, board, mcu, core, runtime, connectivity, location, group. Values are
bound into a fixed query, never pasted. A `--where` that starts with SELECT or PREFIX is a
SPARQL query of its own; its `?device` column (or its first column) names the devices.
"""
from __future__ import annotations

import re

from tinyreg.registry import Registry
from tinyreg.registry.errors import Invalid, NotFound
from tinyreg.registry.store import IRI
from tinyreg.registry.references import resolve_device
from tinyreg.registry.vocab import TR, prefixes

from . import sparql

# key -> (pattern on ?device and ?vN, whether the value names an ontology term); the values
# are bound inside the device graph's group so that the FILTERs there see them.
_FILTERS = {
    "kind": ("?device a ?{v} .", True),
    "vendor": ("?device tr:vendor ?{v} .", False),
    "board": ("?device tr:board ?{v} .", False),
    "mcu": ("?device tr:hasProcessor/tr:mcu ?{v} .", False),
    "core": ("?device tr:hasProcessor/tr:core ?{v} .", True),
    "runtime": ("?device tr:hasRuntime/tr:runtime ?{v} .", True),
    "connectivity": ("?device tr:connectivity ?{v} .", True),
    "location": ("?device schema:location ?{v} .", False),
    "group": ("?device tr:inGroup ?g{v} . FILTER(STR(?g{v}) = ?{v} || "
              "STRENDS(STR(?g{v}), CONCAT(\"/\", ?{v})))", False),
}
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*")

_SELECT = prefixes("tr", "schema") + """
SELECT DISTINCT ?device WHERE {
  GRAPH ?device { %s ?device a ?kind . %s }
  VALUES ?kind { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device }
} ORDER BY ?device"""

_EXISTING = prefixes("tr") + """
SELECT DISTINCT ?device WHERE { %s GRAPH ?device { ?device a ?kind }
  VALUES ?kind { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device } }"""


def named_devices(registry: Registry, names: list[str]) -> list[str]:
    """Device IRIs for identifiers, IRIs or source ids (`resolve_device`); NotFound names
    the ones not registered."""
    iris = {}
    for name in names:
        try:
            iris[name] = resolve_device(registry, name)
        except NotFound:
            pass
    found = list(iris.values())
    known = {row["device"] for row in registry.store.select(_EXISTING % sparql.iris("device", found))}
    missing = [n for n in names if iris.get(n) not in known]
    if missing:
        raise NotFound(f"no device {', '.join(missing)}")
    return list(dict.fromkeys(iris[n] for n in names))


def where_devices(registry: Registry, where: str) -> list[str]:
    text = where.strip()
    if re.match(r"(?i)(select|prefix)\b", text):
        return _query_devices(registry, text)
    patterns, rows = [], []
    for index, clause in enumerate(part.strip() for part in text.split(",")):
        key, sep, value = clause.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in _FILTERS or not value:
            raise Invalid(f"filter {clause!r}: expected key=value with a key among "
                          f"{', '.join(_FILTERS)} (or a SPARQL SELECT query)")
        pattern, is_term = _FILTERS[key]
        if is_term and not _TERM.fullmatch(value):
            raise Invalid(f"filter {clause!r}: {key} is an ontology name such as TFLM or BLE")
        patterns.append(pattern.format(v=f"v{index}"))
        rows.append(IRI(str(TR[value])) if is_term else value)
    bound = sparql.values([f"v{i}" for i in range(len(rows))], [rows])
    return [row["device"] for row in registry.store.select(_SELECT % (bound, " ".join(patterns)))]


def _query_devices(registry: Registry, text: str) -> list[str]:
    result = registry.query(text)
    if result.kind != "select" or not result.variables:
        raise Invalid("a --where query must be a SELECT naming devices")
    column = "device" if "device" in result.variables else result.variables[0]
    found = [row[column] for row in result.rows if isinstance(row.get(column), str)]
    known = {row["device"] for row in registry.store.select(
        _EXISTING % sparql.iris("device", found))} if found else set()
    strays = [f for f in found if f not in known]
    if strays:
        raise Invalid(f"the query's ?{column} column holds things that are not registered "
                      f"devices, e.g. {strays[0]}")
    return list(dict.fromkeys(found))
