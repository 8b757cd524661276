"""Every device's listing row, kept up to date from the store's change log.

Listing 100,000 devices reads ~700,000 facts (5-6 s); after a write, only the graphs the
change log names are read again, and a write to records (deployments, rollouts) reads
nothing. Concurrent readers after a write share one refresh: one thread reads, the others
wait for its answer rather than each reading the same graphs.
"""
from __future__ import annotations

import bisect
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..following import followed
from ..store import IRI
from ..store.changelog import ChangeMark
from ..store.terms import OneOf
from ..vocab import RECORD_BASES, TR, local_name, prefixes

if TYPE_CHECKING:
    from ..core import Registry

# Each fact of each device as a row of its own, gathered here: listing 100,000 devices took
# 16.6 s when Oxigraph joined, grouped and ordered the same patterns, and takes 6.6 s so.
_FACTS = prefixes("tr", "schema") + """
SELECT ?device ?fact ?value
WHERE {
  GRAPH ?device {
    { ?device a ?value . VALUES ?value { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device }
      BIND(0 AS ?fact) }
    UNION { ?device schema:identifier ?value BIND(1 AS ?fact) }
    UNION { ?device schema:name ?value BIND(2 AS ?fact) }
    UNION { ?device tr:sourceFormat ?value BIND(3 AS ?fact) }
    UNION { ?device tr:usableRamBytes ?value BIND(4 AS ?fact) }
    UNION { ?device tr:usableFlashBytes ?value BIND(5 AS ?fact) }
    UNION { ?device tr:hasProcessor ?processor . ?processor tr:core ?value BIND(6 AS ?fact) }
    UNION { ?device tr:incomplete ?value BIND(7 AS ?fact) }
  }
}
"""
_KIND, _ID, _NAME, _FORMAT, _RAM, _FLASH, _CORE, _INCOMPLETE = range(8)
_SPECIFIC = {f"{TR}MicrocontrollerBoard": 0, f"{TR}LinuxDevice": 0, f"{TR}Device": 1}
_CACHE_KEY = "devices.rows"
# Beyond this many graphs written, reading every device again is the cheaper refresh.
_REREAD = 5000


def _int(term) -> int | None:
    return int(str(term)) if term is not None else None


def _preferred(fact: int, new, held) -> bool:
    if fact == _KIND:
        return _SPECIFIC[new] < _SPECIFIC[held]
    if fact in (_RAM, _FLASH):
        return _int(new) < _int(held)
    return str(new) < str(held)


def _order(row: dict[str, Any]) -> tuple[str, str]:
    return row["id"], row["iri"]


def read_rows(store, graphs: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The rows of the devices in `graphs` (every graph when None), by IRI. A device is a
    graph that states its kind, identifier, name and format; where it states a fact twice,
    the row shows the most specific kind, the smaller figure and the first core by name."""
    table = store.table(_FACTS, None if graphs is None else {"device": OneOf(IRI(g) for g in graphs)})
    facts: dict[str, list] = {}
    for iri, fact, value in zip(*(table.values(name) for name in ("device", "fact", "value"))):
        held = facts.get(iri)
        if held is None:
            held = facts[iri] = [None] * 7 + [set()]
        if fact == _INCOMPLETE:
            held[fact].add(str(value))
        elif held[fact] is None or _preferred(fact, value, held[fact]):
            held[fact] = value
    return {iri: {"id": str(f[_ID]), "name": str(f[_NAME]), "kind": local_name(f[_KIND]),
                  "ram": _int(f[_RAM]), "flash": _int(f[_FLASH]), "core": local_name(f[_CORE]),
                  "format": str(f[_FORMAT]), "incomplete": "; ".join(sorted(f[_INCOMPLETE])) or None,
                  "iri": iri}
            for iri, f in facts.items() if None not in (f[_KIND], f[_ID], f[_NAME], f[_FORMAT])}


# What the lists' facets count, read apart and only when a facet is asked for: these facts
# outnumber the listing's (a sensor states each kind the entailment gives it), and reading
# them with the rows would make every cold start pay for them (1.7x the rows' own read at
# 10,000 devices, bench/bench_facets.py).
# A sensor counts under each of its kinds (an IMU is an inertial sensor too) and its
# parts' kinds (the IMU's accelerometer).
_FACET_FACTS = prefixes("tr", "ssn") + """
SELECT ?device ?fact ?value
WHERE {
  GRAPH ?device {
    { ?device tr:vendor ?value BIND(0 AS ?fact) }
    UNION { ?device tr:hasRuntime/tr:runtime ?value BIND(1 AS ?fact) }
    UNION { ?device tr:connectivity ?value BIND(2 AS ?fact) }
    UNION { ?device tr:hasSensor ?sensor . ?sensor a ?value BIND(3 AS ?fact) }
    UNION { ?device tr:hasSensor ?sensor . ?sensor ssn:hasSubSystem ?part . ?part a ?value
            BIND(3 AS ?fact) }
  }
}
"""
FACET_FIELDS = ("vendors", "runtimes", "connectivity", "sensors")
_SENSOR_KIND, _ANY_SENSOR = 3, f"{TR}Sensor"


def read_facet_rows(store, graphs: list[str] | None = None) -> dict[str, dict[str, list[str]]]:
    """The facet values of the devices in `graphs` (every graph when None) by IRI, each a
    sorted list: vendors as named, the others as local names (CortexM4F, BLE, Microphone)."""
    table = store.table(_FACET_FACTS, None if graphs is None else {"device": OneOf(IRI(g) for g in graphs)})
    facts: dict[str, list[set[str]]] = {}
    for iri, fact, value in zip(*(table.values(name) for name in ("device", "fact", "value"))):
        held = facts.setdefault(iri, [set() for _ in FACET_FIELDS])
        if fact == _SENSOR_KIND and (not str(value).startswith(TR) or str(value) == _ANY_SENSOR):
            continue  # sosa:Sensor and tr:Sensor say nothing a filter could use
        held[fact].add(str(value) if fact == 0 else local_name(value))
    return {iri: {name: sorted(values) for name, values in zip(FACET_FIELDS, f)}
            for iri, f in facts.items()}


# The last answer of the change log per store: the device rows, their facet values and the
# facet codes follow the log in step, and after a write each asked it the same question
# (reading the log took 5-14 ms a time at 100,000 devices).
_ASKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _changes_since(store, mark: ChangeMark):
    held = _ASKED.get(store)
    if held is not None and held[0] == mark and held[1].mark.revision == store.revision():
        return held[1]  # nothing written since that answer: it is the answer now
    changes = store.changes_since(mark)
    if changes is not None:
        _ASKED[store] = (mark, changes)
    return changes


def written_since(store, mark: ChangeMark) -> tuple[ChangeMark, list[str]] | None:
    """The graphs that may hold devices written since `mark`, and the log's position now;
    None when the log cannot say which, or names a namespace that may hold devices."""
    changes = _changes_since(store, mark)
    if changes is None or changes.everything:
        return None
    if any(not prefix.startswith(RECORD_BASES) for prefix in changes.under):
        return None
    written = sorted(name for name in changes.graphs if not name.startswith(RECORD_BASES))
    return None if len(written) > _REREAD else (changes.mark, written)


# Fields whose values are counted over every row, for the overview's charts: counting
# 100,000 rows again after each write took 150 ms.
TALLIED = ("kind", "core", "format", "ram", "flash")


def _tally(rows, tallies: dict[str, Counter] | None = None, sign: int = 1) -> dict[str, Counter]:
    tallies = tallies if tallies is not None else {field: Counter() for field in TALLIED}
    for row in rows:
        for field in TALLIED:
            tallies[field][row[field]] += sign
    return tallies


@dataclass(frozen=True)
class DeviceRows:
    """The rows at one position of the change log, by identifier (then IRI), and how many
    rows hold each value of the TALLIED fields."""
    mark: ChangeMark
    by_iri: dict[str, dict[str, Any]]
    rows: list[dict[str, Any]]
    tallies: dict[str, Counter]
    origin: str = "full"  # "full", "refreshed" (graphs read again) or "kept"

    @classmethod
    def read(cls, store) -> "DeviceRows":
        mark = store.change_mark()  # before the reads: a write landing meanwhile is read again
        by_iri = read_rows(store)
        return cls(mark, by_iri, sorted(by_iri.values(), key=_order), _tally(by_iri.values()))

    def refreshed(self, store) -> "DeviceRows | None":
        """These rows at the store's position now, from the graphs written since; None when
        the log cannot say which, or names a namespace that may hold devices."""
        since = written_since(store, self.mark)
        if since is None:
            return None
        mark, written = since
        if not written:
            return DeviceRows(mark, self.by_iri, self.rows, self.tallies, "kept")
        fresh = read_rows(store, written)
        by_iri = dict(self.by_iri)
        rows = self.rows
        gone = [by_iri.pop(name) for name in written if name in by_iri]
        tallies = _tally(gone, {field: Counter(held) for field, held in self.tallies.items()}, -1)
        tallies = {field: +held for field, held in _tally(fresh.values(), tallies).items()}
        if len(gone) + len(fresh) > 64:  # many: sorting once beats placing each
            by_iri.update(fresh)
            return DeviceRows(mark, by_iri, sorted(by_iri.values(), key=_order), tallies,
                              "refreshed")
        rows = list(rows)
        for row in gone:
            at = bisect.bisect_left(rows, _order(row), key=_order)
            del rows[at]
        for row in fresh.values():
            bisect.insort(rows, row, key=_order)
        by_iri.update(fresh)
        return DeviceRows(mark, by_iri, rows, tallies, "refreshed")


def device_rows(registry: Registry) -> DeviceRows:
    """The registry's device rows at the store's revision now (single flight: a thread that
    finds them out of date while another refreshes them waits for that refresh)."""
    store = registry.store
    return followed(registry, _CACHE_KEY, lambda: DeviceRows.read(store),
                    lambda held: held.refreshed(store))


@dataclass(frozen=True)
class DeviceFacets:
    """Each device's facet values (FACET_FIELDS) by IRI at one position of the change log."""
    mark: ChangeMark
    by_iri: dict[str, dict[str, list[str]]]
    origin: str = "full"  # as DeviceRows'

    @classmethod
    def read(cls, store) -> "DeviceFacets":
        mark = store.change_mark()
        return cls(mark, read_facet_rows(store))

    def refreshed(self, store) -> "DeviceFacets | None":
        since = written_since(store, self.mark)
        if since is None:
            return None
        mark, written = since
        if not written:
            return DeviceFacets(mark, self.by_iri, "kept")
        by_iri = dict(self.by_iri)
        for name in written:
            by_iri.pop(name, None)
        by_iri.update(read_facet_rows(store, written))
        return DeviceFacets(mark, by_iri, "refreshed")


def device_facets(registry: Registry) -> DeviceFacets:
    """The devices' facet values at the store's revision now, read whole the first time a
    facet is asked for, then followed like the rows (single flight)."""
    store = registry.store
    return followed(registry, _CACHE_KEY + ".facets", lambda: DeviceFacets.read(store),
                    lambda held: held.refreshed(store))
