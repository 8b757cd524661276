"""The device list's facet values as NumPy arrays, and each value's count over every device,
kept from the store's change log.

Counting the facets of 100,000 rows in Python took 3.5 s after each write. Here each device
has a slot (a row of the arrays) and each facet field a boolean matrix, a column per value:
a count over some devices is a sum of the matrices' rows at their slots, and the counts over
every device are kept as the device rows' tallies are (gone devices out, new ones in). A
write to records (deployments, rollouts) changes nothing here.
"""
from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field as attribute, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from ..following import followed
from ..store.changelog import ChangeMark
from .rows import FACET_FIELDS, DeviceRows, device_facets, device_rows, written_since

if TYPE_CHECKING:
    from ..core import Registry

# The row fields the device list's facets count, then those of the devices' facet rows.
ROW_FIELDS = ("kind", "core", "format")
SIZES = ("ram", "flash")  # the rows' figures a filter bounds
FIELDS = ROW_FIELDS + FACET_FIELDS
_CACHE_KEY = "devices.facet_codes"
_NOTHING: list = []


def _key(row: Mapping[str, Any]) -> tuple[str, str]:
    return row["id"], row["iri"]  # the device rows' order


def device_values(row: Mapping[str, Any], facts: Mapping[str, Any] | None) -> dict[str, list]:
    """A device's value(s) of each of FIELDS: its row's own (none when it states none), then
    its facet row's (none when the device states no facet fact)."""
    out = {field: _NOTHING if row[field] is None else [row[field]] for field in ROW_FIELDS}
    for field in FACET_FIELDS:
        out[field] = facts[field] if facts else _NOTHING
    return out


@dataclass(frozen=True)
class Field:
    """One facet field: its values in the order first met, and whether each slot's device
    has each of them (a slot per row, a column per value)."""
    values: tuple
    has: np.ndarray

    def columns(self, wanted: str) -> np.ndarray:
        """The columns of the values equal to `wanted` without regard to case."""
        return np.array([i for i, v in enumerate(self.values) if str(v).lower() == wanted],
                        dtype=np.intp)


@dataclass(frozen=True)
class FacetCodes:
    """At one position of the change log: the slot of each device (by IRI), each field's
    matrix, how many devices have each value of each field (`totals`), and the slots gone
    devices left (`free`, taken by the next new ones). Never changed once made: a refresh
    makes another, so a reader holding this one is not disturbed."""
    mark: ChangeMark
    slots: dict[str, int]
    iris: np.ndarray  # each slot's device IRI (objects), None where the slot is free
    fields: dict[str, Field]
    totals: dict[str, Counter]
    free: tuple[int, ...] = ()
    origin: str = "full"  # "full", "refreshed" or "kept", as DeviceRows'
    # The device rows these codes were made with, and the slot of each of their rows in
    # order: a filter over the rows is then a mask over the slots, not a lookup per row.
    listed: DeviceRows | None = None
    order: np.ndarray | None = None  # None: some row has no slot (a write the log names next)
    # Which slots hold a device, and the codes' IRIs before this refresh with the slots it
    # wrote: what depends on the slots' IRIs (facets.py: each slot's term id in the engine)
    # is brought forward from the codes before, not looked up again for every slot.
    held: np.ndarray = attribute(default_factory=lambda: np.zeros(0, dtype=bool))
    before: tuple = (None, ())
    sizes: dict[str, np.ndarray] = attribute(default_factory=dict)  # SIZES by slot, as floats

    @classmethod
    def made(cls, mark: ChangeMark, rows: DeviceRows, facts: Mapping[str, dict]) -> "FacetCodes":
        empty = {field: Field((), np.zeros((0, 0), dtype=bool)) for field in FIELDS}
        held = cls(mark, {}, np.empty(0, dtype=object), empty, {field: Counter() for field in FIELDS})
        codes = held._with(mark, {}, {row["iri"]: at for at, row in enumerate(rows.rows)}, (),
                           rows.by_iri, facts, "full")
        return replace(codes, listed=rows, order=np.arange(len(rows.rows), dtype=np.intp))

    @property
    def size(self) -> int:
        return self.fields[FIELDS[0]].has.shape[0]

    def _with(self, mark: ChangeMark, gone: dict[str, int], new: dict[str, int],
              free: tuple[int, ...], rows: Mapping[str, dict], facts: Mapping[str, dict],
              origin: str) -> "FacetCodes":
        """These codes with the devices in `gone` (IRI: slot) taken out and those in `new`
        (IRI: slot) put in from `rows` and `facts`."""
        size = max([self.size] + [at + 1 for at in new.values()])
        slots_of, columns_of = {f: [] for f in FIELDS}, {f: [] for f in FIELDS}
        codes = {field: {v: i for i, v in enumerate(self.fields[field].values)} for field in FIELDS}
        for iri, at in new.items():
            for field, values in device_values(rows[iri], facts.get(iri)).items():
                known = codes[field]
                for value in values:
                    slots_of[field].append(at)
                    columns_of[field].append(known.setdefault(value, len(known)))
        cleared = np.fromiter(list(gone.values()) + list(new.values()), dtype=np.intp)
        fields, totals = {}, {}
        for field in FIELDS:
            held, order = self.fields[field], tuple(codes[field])
            has = np.zeros((size, len(order)), dtype=bool)
            has[:held.has.shape[0], :held.has.shape[1]] = held.has
            has[cleared] = False
            columns = np.array(columns_of[field], dtype=np.intp)
            has[np.array(slots_of[field], dtype=np.intp), columns] = True
            # Gone devices' values out, new ones' in: the counts over every device.
            out = np.count_nonzero(held.has[list(gone.values())], axis=0)
            into = np.bincount(columns, minlength=len(order))
            tally = Counter(self.totals[field])
            tally.subtract({held.values[i]: int(out[i]) for i in np.flatnonzero(out)})
            tally.update({order[i]: int(into[i]) for i in np.flatnonzero(into)})
            fields[field], totals[field] = Field(order, has), +tally
        slots = dict(self.slots)  # copied whole: a comprehension over 100,000 took 47 ms
        for iri in gone:
            del slots[iri]
        slots.update(new)
        iris = np.empty(size, dtype=object)
        iris[:len(self.iris)] = self.iris
        iris[list(gone.values())] = None
        iris[list(new.values())] = list(new)
        held = np.zeros(size, dtype=bool)
        held[:len(self.held)] = self.held
        held[list(gone.values())] = False
        held[list(new.values())] = True
        sizes = {}
        for name in SIZES:  # NaN: not stated, so within no bound
            sizes[name] = np.full(size, np.nan)
            sizes[name][:len(self.sizes.get(name, ()))] = self.sizes.get(name, ())
            sizes[name][cleared] = np.nan
            sizes[name][list(new.values())] = [np.nan if rows[iri][name] is None else rows[iri][name]
                                               for iri in new]
        return FacetCodes(mark, slots, iris, fields, totals, free, origin, held=held,
                          before=(self.iris, cleared), sizes=sizes)

    def refreshed(self, registry: Registry) -> "FacetCodes | None":
        """These codes at the store's position now, from the graphs written since; None when
        the log cannot say which."""
        since = written_since(registry.store, self.mark)
        if since is None:
            return None
        mark, written = since
        if not written:
            return replace(self, mark=mark, origin="kept")
        listed = device_rows(registry)
        rows, facts = listed.by_iri, device_facets(registry).by_iri
        gone = {iri: self.slots[iri] for iri in written if iri in self.slots}
        # A device written again keeps its slot; a new one takes a gone one's, else the next.
        free = list(self.free) + [at for iri, at in gone.items() if iri not in rows]
        new, end = {}, self.size
        for iri in written:
            if iri in gone and iri in rows:
                new[iri] = gone[iri]
            elif iri in rows and free:
                new[iri] = free.pop()
            elif iri in rows:
                new[iri], end = end, end + 1
        codes = self._with(mark, gone, new, tuple(free), rows, facts, "refreshed")
        return replace(codes, listed=listed, order=codes._ordered(self, listed, written))

    def _ordered(self, before: "FacetCodes", listed: DeviceRows, written: list[str]) -> np.ndarray | None:
        """The slot of each of `listed`'s rows in their order, from `before`'s order: the
        rows of the graphs `written` (all those changed since `before`'s rows were read, or
        more) taken out where they stood and put in where they stand now."""
        old, new = before.listed, listed
        if old is None or before.order is None:
            return self._looked_up(new)
        if old.rows is new.rows:
            return before.order
        out = [bisect.bisect_left(old.rows, _key(old.by_iri[iri]), key=_key)
               for iri in written if iri in old.by_iri]
        put = sorted(bisect.bisect_left(new.rows, _key(new.by_iri[iri]), key=_key)
                     for iri in written if iri in new.by_iri)
        kept = np.delete(before.order, out)
        if len(kept) + len(put) != len(new.rows):
            return self._looked_up(new)  # not the rows the log names
        order = np.empty(len(new.rows), dtype=np.intp)
        placed = np.zeros(len(new.rows), dtype=bool)
        placed[put] = True
        order[~placed] = kept
        order[put] = [self.slots[new.rows[at]["iri"]] for at in put]
        return order

    def _looked_up(self, listed: DeviceRows) -> np.ndarray | None:
        order = self.at(row["iri"] for row in listed.rows)
        return order if (order >= 0).all() else None

    def at(self, iris: Iterable[str]) -> np.ndarray:
        """The slot of each of `iris`, -1 for one not held here."""
        get = self.slots.get
        return np.fromiter((get(iri, -1) for iri in iris), dtype=np.intp)

    def counts(self, field: str, slots: np.ndarray) -> Counter:
        """How many of the devices at `slots` (-1: none) have each value of `field`."""
        held = self.fields[field]
        sums = np.count_nonzero(held.has[slots[slots >= 0]], axis=0)
        return Counter({held.values[i]: int(sums[i]) for i in np.flatnonzero(sums)})

    def having(self, field: str, wanted: str) -> np.ndarray:
        """Bools by slot: whether the device has a value of `field` equal to `wanted`
        (lower case) without regard to case."""
        held = self.fields[field]
        return held.has[:, held.columns(wanted)].any(axis=1)


def facet_codes(registry: Registry) -> FacetCodes:
    """The devices' facet codes at the store's revision now: made from the device rows and
    facet rows the first time, then followed from the change log (single flight)."""
    def made() -> FacetCodes:
        mark = registry.store.change_mark()  # before the rows: a write meanwhile is read again
        return FacetCodes.made(mark, device_rows(registry), device_facets(registry).by_iri)
    return followed(registry, _CACHE_KEY, made, lambda held: held.refreshed(registry))
