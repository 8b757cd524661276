"""The patterns of shapes/patterns.ttl, compiled to array operations over a fleet.

Each class here mirrors one pattern's SPARQL query: it loads the columns the query reads
and answers two questions: which (model, device) pairs the constraint reports
(`violations`, vectorised, broadcastable to models x devices) and, for one pair, the
variables of each result the query would return (`explain`), from which the engine fills
the shape's message. A shape that instantiates a pattern needs no code here; a new
pattern needs both its SPARQL and a class.

After a write to a few devices, `patched` gives the constraint over the new fleet from this
compilation and one over those devices only (splice.py): model-side state is kept, the
per-device arrays are spliced. A pattern without `patched` is compiled again. After a write
to model versions only, `models_patched` does the same along the model axis: per-model state
spliced, the devices' kept, and the device columns that depend on which model versions there
are (required sensor classes, wanted features, runtimes checked) worked out again where
they differ.
"""
from __future__ import annotations

import copy
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..store import IRI
from ..store.terms import values_block
from ..vocab import OP, PREFIXES, TR, local_name, prefixes
from .figures import INSTALL_NODES, INSTALLS, RuntimeFigures
from .fleet import Fleet, Unpatchable, is_number, lexical, value_key
from .reference_reads import reference_query
from .results import grouped
from .shapes import Constraint
from .splice import Splice

_OP = str(OP)

# Query texts: the parameters arrive as bindings (?p, ?cls...), never pasted in. Entity
# queries read each entity's own graph; where they follow a node (an install, a sensor, a
# processor) they join sub-queries inside the store rather than one pattern after another,
# so that the store scans each predicate once instead of seeking once per device.
# No OPTIONAL around a bound parameter: the binding joins from outside the group, so inside
# an OPTIONAL the parameter would match any predicate and the join would drop the row.
# The installs that state a number for ?p, with it (?i tells installs apart in one answer).
_INSTALL_FIGURES = prefixes("tr") + f"""
SELECT ?e ?i ?rt ?x WHERE {{ {INSTALL_NODES}
  {{ SELECT ?e ?i ?x WHERE {{ GRAPH ?e {{ ?i ?p ?x }} FILTER(isNumeric(?x)) }} }} }}"""
# Which required classes a device's sensors and their sub-systems meet, as one number per
# device whose bit j stands for required class j: CLASSES is replaced by a VALUES block of
# (class, bit) for each class meeting required class j, so the store reads only those
# classes' instances and answers a number a device rather than an IRI a class. The
# sub-systems one level down come from a join of two scans; a path is followed only from
# the sub-systems that have sub-systems of their own (few), as a path from every sensor
# would cost a seek per sensor.
_SENSORS = "{ SELECT ?e ?s WHERE { GRAPH ?e { ?e ?p ?s } } }"
_SUB_SYSTEMS = "{ SELECT ?e ?s ?part WHERE { GRAPH ?e { ?s ssn:hasSubSystem ?part } } }"
_SENSOR_COVERAGE = prefixes("ssn") + f"""
SELECT ?e (SUM(DISTINCT ?bit) AS ?met) WHERE {{
  {{ SELECT ?e ?part ?bit WHERE {{ CLASSES GRAPH ?e {{ ?part a ?cls }} }} }}
  {{ {{ SELECT ?e ?part WHERE {{ GRAPH ?e {{ ?e ?p ?part }} }} }}
    UNION {{ SELECT ?e ?part WHERE {{ {_SENSORS} {_SUB_SYSTEMS} }} }}
    UNION {{ SELECT ?e ?part WHERE {{ {_SENSORS}
      {{ SELECT ?e ?s ?m WHERE {{ GRAPH ?e {{ ?s ssn:hasSubSystem ?m }} }} }}
      {{ SELECT DISTINCT ?e ?m WHERE {{
        {{ SELECT ?e ?m WHERE {{ GRAPH ?e {{ ?x ssn:hasSubSystem ?m }} }} }}
        {{ SELECT ?e ?m WHERE {{ GRAPH ?e {{ ?m ssn:hasSubSystem ?y }} }} }} }} }}
      GRAPH ?e {{ ?m ssn:hasSubSystem+ ?part }} }} }} }} }} GROUP BY ?e"""
_BITS = 62  # required classes per query: the bits of a 64-bit integer
_MEETS = reference_query(prefixes("rdfs", "owl") + """
SELECT DISTINCT ?cls WHERE { ?cls (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)* ?req }""",
    predicates=(f"{PREFIXES['rdfs']}subClassOf", f"{PREFIXES['owl']}equivalentClass"))
_OPERATORS = prefixes("tr") + f"""
SELECT DISTINCT ?e ?op WHERE {{ GRAPH ?e {{ ?e ?p ?use . ?use tr:operator ?op }} }}"""
_FAILED_CHECKS = prefixes("tr") + f"""
SELECT ?e ?rt ?reason WHERE {{ GRAPH ?e {{
  ?e tr:runtimeCheck ?c . ?c tr:onRuntime ?rt ; tr:runs false . OPTIONAL {{ ?c tr:reason ?reason }} }} }}"""
_FIGURED_RUNTIMES = prefixes("tr") + f"""
SELECT DISTINCT ?e ?rt WHERE {{ GRAPH ?e {{ ?e tr:runtimeFigure ?f . ?f tr:onRuntime ?rt }} }}"""
_RUNTIME_SUPPORT = reference_query(prefixes("tr") + f"""
SELECT ?all ?op WHERE {{ {{ ?rt tr:supportsAllOperators ?all }} UNION {{ ?rt tr:supportsOperator ?op }} }}""",
    predicates=(f"{TR}supportsAllOperators", f"{TR}supportsOperator"))
_FEATURES = prefixes("tr") + f"""
SELECT DISTINCT ?e ?f WHERE {{
  {{ SELECT ?e ?f WHERE {{ GRAPH ?e {{ ?e ?p ?f }} }} }}
  UNION {{ {{ SELECT ?e ?proc WHERE {{ GRAPH ?e {{ ?e tr:hasProcessor ?proc }} }} }}
          {{ SELECT ?e ?proc ?f WHERE {{ GRAPH ?e {{ ?proc ?p ?f }} }} }} }} }}"""

NO_RUNTIME = "no ML runtime is installed on it"
CHECK_FAILED = "the registry's check of it failed"


@dataclass
class Adjust:
    """A "what if": deltas added to model needs or device capacities, by property IRI."""
    model: dict[str, float] = field(default_factory=dict)
    device: dict[str, float] = field(default_factory=dict)


NO_ADJUST = Adjust()


class Compiled:
    """One constraint compiled against one fleet."""

    def __init__(self, constraint: Constraint, fleet: Fleet):
        self.constraint = constraint
        self.fleet = fleet

    def violations(self, models: np.ndarray, devices, adjust: Adjust = NO_ADJUST) -> np.ndarray:
        raise NotImplementedError

    def explain(self, model: int, device: int, adjust: Adjust = NO_ADJUST) -> list[dict[str, Any]]:
        raise NotImplementedError

    def patched(self, fleet: Fleet, sub: "Compiled", splice: Splice) -> "Compiled":
        """This constraint over `fleet`, which differs from this one's fleet only in the
        devices `sub` (the same constraint over them and every model version) was compiled
        over, and in devices gone."""
        return type(self)(self.constraint, fleet)

    def models_patched(self, fleet: Fleet, sub: "Compiled", splice: Splice) -> "Compiled":
        """This constraint over `fleet`, which differs from this one's fleet only in the
        model versions `sub` (the same constraint over them and no device) was compiled
        over, and in model versions gone."""
        return type(self)(self.constraint, fleet)

    def _moved(self, fleet: Fleet) -> Any:
        """A copy over `fleet`, sharing the model-side state, for `patched` to fill in."""
        new = copy.copy(self)
        new.fleet = fleet
        return new


class _Grouped:
    """Models that share one requirement set share one device vector, computed once."""

    def __init__(self, keys: list[tuple], vector: Callable[[tuple], np.ndarray], width: int):
        groups: dict[tuple, int] = {}
        self.group_of = np.array([groups.setdefault(k, len(groups)) for k in keys], dtype=np.int64)
        self._keys = list(groups)
        self._vector = vector
        self._width = width
        self._table: np.ndarray | None = None

    def table(self) -> np.ndarray:
        if self._table is None:
            self._table = np.stack([self._vector(k) for k in self._keys]) if self._keys else \
                np.zeros((0, self._width), dtype=bool)
        return self._table

    def rows(self, models: np.ndarray, devices) -> np.ndarray:
        table = self.table()
        table = table[:, devices] if not isinstance(devices, slice) else table
        return table[self.group_of[models]]

    def regrouped(self, keys: list[tuple], vector: Callable[[tuple], np.ndarray],
                  held: list[tuple] | None = None) -> "_Grouped":
        """Groups of other models over the same devices: a key this one had (`held`: its
        keys as `vector` spells them) keeps its row, others are worked out."""
        new = _Grouped(keys, vector, self._width)
        if self._table is not None:
            rows = dict(zip(held if held is not None else self._keys, self._table))
            new._table = np.stack([rows[k] if k in rows else vector(k) for k in new._keys]) \
                if new._keys else np.zeros((0, self._width), dtype=bool)
        return new

    def spliced(self, sub: "_Grouped", splice: Splice, vector: Callable[[tuple], np.ndarray]) -> "_Grouped":
        """The groups over the patched fleet (`vector` answers over it): the same models,
        so the same groups; the table, when worked out, spliced."""
        new = copy.copy(self)
        new._vector, new._width = vector, splice.size
        if self._table is not None and sub._keys == self._keys:
            new._table = splice.rows(self._table, sub.table(), axis=1)
        else:
            new._table = None
        return new


# What several compiled shapes read of one fleet, while the fleet is in use: the memory
# shapes (a shape per resource and outcome, eight) share one need per property, and the
# runtime costs and the regions per resource. Worked out once per fleet (a refresh makes a
# new one); read, never written.
_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NEED_PARAMS = ("needProperty", "estimateProperty", "declaredProperty")


def shared(fleet: Fleet, key: tuple, compute: Callable[[], Any]) -> Any:
    held = _SHARED.setdefault(fleet, {})
    if key not in held:
        held[key] = compute()
    return held[key]


class ResourceFit(Compiled):
    """need + the leanest runtime's cost against capacity - reserve, per outcome
    (trs:outcome): short, in another region, usable unknown, or the headroom figures."""

    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.outcome = local_name(c.param("outcome", ""))
        if self.outcome not in _OUTCOMES:
            raise ValueError(f"{c.shape}: unknown trs:outcome {c.param('outcome')}")
        self.need_property = c.param("needProperty")
        self.capacity_property = c.param("capacityProperty")
        self.need, self.basis = shared(fleet, self._need_key(), lambda: _need(fleet, c))
        figure = c.param("runtimeFigureProperty")
        self.figures = shared(fleet, ("figures", figure), lambda: RuntimeFigures(fleet, figure)) \
            if figure else None
        self._room(shared(fleet, self._room_key(), lambda: _Room.read(fleet, c)))

    def _need_key(self) -> tuple:
        return ("need",) + tuple(self.constraint.param(p) for p in _NEED_PARAMS)

    def _room_key(self) -> tuple:
        return ("room",) + tuple(self.constraint.param(p) for p in _ROOM_PARAMS)

    def _room(self, room: "_Room") -> None:
        self.room = room
        self.usable, self.total, self.capacity, self.reserve, self.free = \
            room.usable, room.total, room.capacity, room.reserve, room.free
        self.overhead, self.runtime_text, self.texts = room.overhead, room.runtime_text, room.texts
        self.applies, self.slack = room.applies, room.slack
        self.region_bytes, self.region_name = room.region_bytes, room.region_name

    def patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        shared(fleet, self._need_key(), lambda: (self.need, self.basis))
        if self.figures is not None:
            new.figures = shared(fleet, ("figures", self.constraint.param("runtimeFigureProperty")),
                                 lambda: self.figures.patched(sub.figures, splice))
        new._room(shared(fleet, self._room_key(), lambda: self.room.patched(sub.room, splice)))
        return new

    def models_patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        new.need, new.basis = shared(fleet, self._need_key(), lambda: (
            splice.rows(self.need, sub.need), splice.rows(self.basis, sub.basis)))
        if self.figures is not None:
            new.figures = shared(fleet, ("figures", self.constraint.param("runtimeFigureProperty")),
                                 lambda: self.figures.models_patched(
                                     fleet, sub.fleet, sub.figures, splice,
                                     self.constraint.param("runtimeFigureProperty")))
        new._room(shared(fleet, self._room_key(), lambda: self.room))
        return new

    def _needs(self, models, adjust: Adjust) -> np.ndarray:
        return self.need[models] + adjust.model.get(self.need_property, 0)

    def _device(self, values: np.ndarray, devices, adjust: Adjust) -> np.ndarray:
        """A per-device figure moved by a what-if on the capacity."""
        return values[devices] + adjust.device.get(self.capacity_property, 0)

    def _need_matrix(self, models, devices, adjust: Adjust) -> np.ndarray:
        """models x devices: the need the shape takes for each pair (a runtime or NPU
        figure where one applies, else the model's own)."""
        width = len(self.fleet.devices) if isinstance(devices, slice) else len(devices)
        out = np.repeat(self._needs(models, adjust)[:, None], width, axis=1)
        if self.figures is not None and self.figures.need:
            delta = adjust.model.get(self.need_property, 0)
            for row in np.flatnonzero(np.isin(models, list(self.figures.need))).tolist():
                figure = self.figures.need[int(models[row])][devices] + delta
                out[row] = np.where(np.isnan(figure), out[row], figure)
        return out

    def _reports(self, needs, devices, adjust: Adjust) -> np.ndarray:
        """Which pairs (needs: models x devices, or one row) the shape's outcome reports."""
        slack = self._device(self.slack, devices, adjust)
        free = self._device(self.free, devices, adjust)
        known = ~np.isnan(needs) & ~np.isnan(slack) & self.applies[devices]
        if self.outcome == "Headroom":
            return known
        over = needs > slack
        region = (self.region_bytes[devices] >= needs) & (self.overhead[devices] <= free)
        if self.outcome == "UsableUnknown":
            return known & np.isnan(self.usable[devices]) & (~over | region)
        return over & (region if self.outcome == "InRegion" else ~region)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self._reports(self._need_matrix(models, devices, adjust), devices, adjust)

    def explain(self, model, device, adjust=NO_ADJUST):
        decided = self.figures.bases(model, device) if self.figures is not None else []
        if decided:
            delta = adjust.model.get(self.need_property, 0)
            cases = [(value + delta, basis) for value, basis in decided]
        else:
            basis = BASES[self.basis[model]]
            if self.basis[model] == 0 and self.figures is not None and self.figures.stated[model] \
                    and self.figures.stands_in[device]:
                basis = FALLBACK
            cases = [(self._needs(np.array([model]), adjust)[0], basis)]
        at = np.array([device])
        return [self._explain(need, basis, device, adjust) for need, basis in cases
                if self._reports(np.array([[need]]), at, adjust)[0, 0]]

    def _explain(self, need, basis: str, device: int, adjust: Adjust) -> dict:
        c = self.constraint
        delta = adjust.device.get(self.capacity_property, 0)
        capacity = self.capacity[device] + delta
        overhead, reserve = self.overhead[device], self.reserve[device]
        total, free = need + overhead, capacity - reserve
        figures = {"need": need, "overhead": overhead, "total": total, "capacity": capacity,
                   "reserve": reserve, "free": free, "short": total - free}
        variables = {name: grouped(_int(v)) for name, v in figures.items()}
        usable = not np.isnan(self.usable[device])
        margin = total - free
        variables.update(
            label=c.param("resourceLabel"), needLabel=c.param("needLabel"), value=_int(total),
            path=self.need_property, basis=basis, runtime=self.texts[self.runtime_text[device]],
            capacityKind="usable" if usable else "total; no usable figure stated",
            margin=f"{grouped(_int(margin))} B short" if margin > 0 else f"{grouped(_int(-margin))} B to spare",
            region=self.region_name[device] or "an unnamed region")
        if not np.isnan(self.region_bytes[device]):
            variables["regionSize"] = grouped(_int(self.region_bytes[device]))
        variables["figures"] = {
            "resource": c.param("resourceLabel"), "needed": _int(total),
            "items": [{"what": c.param("needLabel"), "bytes": _int(need), "basis": basis},
                      {"what": variables["runtime"], "bytes": _int(overhead)}],
            "capacity": _int(capacity), "capacity_kind": "usable" if usable else "total",
            "reserved": _int(reserve), "available": _int(free), "difference": _int(free - total)}
        if self.outcome == "InRegion":
            variables["figures"]["region"] = {"name": variables["region"],
                                              "bytes": _int(self.region_bytes[device])}
        return variables


_OUTCOMES = ("Short", "InRegion", "UsableUnknown", "Headroom")
_ROOM_PARAMS = ("capacityProperty", "totalProperty", "reserveProperty", "overheadProperty",
                "regionProperty", "deviceClass")


@dataclass
class _Room:
    """What the memory shapes of one resource (a shape per outcome) read of each device:
    capacity (usable, else total), reserve, the leanest runtime's cost, the largest region;
    and what follows from them."""
    usable: np.ndarray
    total: np.ndarray
    reserve: np.ndarray
    overhead: np.ndarray
    runtime_text: np.ndarray
    texts: list[str]
    region_bytes: np.ndarray
    region_name: list
    applies: np.ndarray

    def __post_init__(self) -> None:
        self.capacity = np.where(np.isnan(self.usable), self.total, self.usable)
        self.free = self.capacity - self.reserve
        # need + cost <= capacity - reserve, as need <= slack; NaN (unknown) never compares,
        # and a device the shape does not apply to has room for anything.
        self.slack = np.where(self.applies, self.free - self.overhead, np.inf)

    @classmethod
    def read(cls, fleet: Fleet, c: Constraint) -> "_Room":
        n = len(fleet.devices)
        total, reserve = c.param("totalProperty"), c.param("reserveProperty")
        overhead, region = c.param("overheadProperty"), c.param("regionProperty")
        return cls(fleet.numbers("device", c.param("capacityProperty"), pick=min),
                   fleet.numbers("device", total, pick=min) if total else np.full(n, np.nan),
                   np.nan_to_num(fleet.numbers("device", reserve, pick=max)) if reserve else np.zeros(n),
                   *(_leanest(fleet, overhead) if overhead else
                     (np.zeros(n), np.zeros(n, dtype=np.int64), [NO_RUNTIME_COST])),
                   *(shared(fleet, ("regions", region), lambda: _largest_regions(fleet, region))
                     if region else (np.full(n, np.nan), [None] * n)),
                   fleet.in_class(c.param("deviceClass")))

    def patched(self, sub: "_Room", splice: Splice) -> "_Room":
        runtime_text, texts = splice.texts((self.runtime_text, self.texts), (sub.runtime_text, sub.texts))
        return _Room(*(splice.rows(getattr(self, name), getattr(sub, name))
                       for name in ("usable", "total", "reserve", "overhead")),
                     runtime_text, texts, splice.rows(self.region_bytes, sub.region_bytes),
                     splice.items(self.region_name, sub.region_name),
                     splice.rows(self.applies, sub.applies))
NO_RUNTIME_COST = "no runtime installed"
_CORES = prefixes("tr") + f"""
SELECT ?e ?core WHERE {{ {{ SELECT ?e ?p WHERE {{ GRAPH ?e {{ ?e tr:hasProcessor ?p }} }} }}
  {{ SELECT ?e ?p ?core WHERE {{ GRAPH ?e {{ ?p tr:core ?core }} }} }} }}"""
# ?p by a FILTER over the few cost nodes' properties: with ?p bound, Oxigraph started from
# every ?c ?p ?x in the store (each install's own cost: 70 ms at 10,000 synthetic devices, on
# every refresh, as a reference fact is checked after each write), 0.5 ms this way.
_COSTS = reference_query(prefixes("tr", "dcterms") + f"""
SELECT ?rt ?core ?x ?source WHERE {{
  ?c tr:costOfRuntime ?rt ; ?q ?x . FILTER (?q = ?p)
  OPTIONAL {{ ?c tr:costOnCore ?core }} OPTIONAL {{ ?c dcterms:source ?source }} }}""",
    about=((f"{TR}costOfRuntime", None),))  # every pattern is about ?c
# The OPTIONAL in a GRAPH block of its own: inside GRAPH ?e, Oxigraph evaluated it over every
# graph even with ?e bound (0.25 s for the one device a refresh reads, at 10,000 devices).
# The region's facts are joined sub-queries: one pattern after another sought each region
# once, 15 s at 100,000 devices (1.4 s so); ?p in a sub-query of its own, as Virtuoso's
# compiler fails on a property fixed by VALUES beside that OPTIONAL.
_REGIONS = prefixes("tr", "schema") + f"""
SELECT ?e ?r ?x ?name WHERE {{
  {{ SELECT ?e ?r WHERE {{ GRAPH ?e {{ ?e tr:memoryRegion ?r }} }} }}
  {{ SELECT ?e ?r WHERE {{ GRAPH ?e {{ ?r ?p true }} }} }}
  {{ SELECT ?e ?r ?x WHERE {{ GRAPH ?e {{ ?r tr:regionBytes ?x }} }} }}
  OPTIONAL {{ GRAPH ?e {{ ?r schema:name ?name }} }} }}"""


def _leanest(fleet: Fleet, prop: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    return shared(fleet, ("runtime", prop), lambda: leanest_runtime(fleet, prop))


def leanest_runtime(fleet: Fleet, prop: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per device, what its leanest installed runtime costs (`prop`: RAM or code) and how
    the shapes name that figure: (cost, text index, texts). A runtime's cost is the
    install's own figure, else the registry's tr:RuntimeCost for it on a core of the device
    (the smallest), else for any core, else 0; the leanest is the cheapest, first by IRI."""
    n, values = len(fleet.devices), fleet.terms.values
    devices, installs = fleet.select("device", INSTALLS)
    stated, figures = fleet.select("device", _INSTALL_FIGURES, p=prop)
    numbers = fleet.terms.numbers()
    cores: dict[int, set] = {}
    found, columns = fleet.select("device", _CORES)
    for d, core in zip(found.tolist(), columns["core"].tolist()):
        cores.setdefault(d, set()).add(values[core])
    by_core: dict[tuple[str, str], tuple[float, str]] = {}
    any_core: dict[str, tuple[float, str]] = {}
    for row in fleet.reference(_COSTS, p=prop):
        if not is_number(row["x"]):
            continue
        entry = (float(row["x"]), lexical(row["source"]) if row["source"] is not None else "no source")
        table, key = (by_core, (row["rt"], row["core"])) if row["core"] is not None else (any_core, row["rt"])
        if key not in table or entry < table[key]:
            table[key] = entry
    texts: list[str] = [NO_RUNTIME_COST]
    text_ids = {NO_RUNTIME_COST: 0}

    def text_id(text: str) -> int:
        if text not in text_ids:
            text_ids[text] = len(texts)
            texts.append(text)
        return text_ids[text]
    # In arrays, one entry per install: a loop over 100,000 installs took seconds a refresh.
    # Devices share runtimes and cores, so each (runtime, cores) is priced once.
    d_arr, i_arr, rt_arr = devices, installs["i"], installs["rt"]
    cost, text = np.zeros(n), np.zeros(n, dtype=np.int64)
    if not len(d_arr):
        return cost, text, texts
    core_sets: dict[frozenset, int] = {frozenset(): 0}
    device_cores = np.zeros(n, dtype=np.int64)
    for d, found in cores.items():
        device_cores[d] = core_sets.setdefault(frozenset(found), len(core_sets))
    sets = list(core_sets)
    combos, at = np.unique(rt_arr * len(sets) + device_cores[d_arr], return_inverse=True)
    prices = [_price(fleet, values[int(c) // len(sets)], sets[int(c) % len(sets)], by_core, any_core)
              for c in combos.tolist()]
    each_cost = np.array([p[0] for p in prices], dtype=float)[at]
    each_text = np.array([text_id(p[1]) for p in prices], dtype=np.int64)[at]
    # an install's own figure comes first (the smallest it states)
    width = len(fleet.terms)
    x = numbers[figures["x"]]
    stated_keys = (stated * width + figures["i"])[~np.isnan(x)]
    if len(stated_keys):
        x = x[~np.isnan(x)]
        order = np.lexsort((x, stated_keys))
        keys, first = np.unique(stated_keys[order], return_index=True)
        smallest = x[order][first]
        install_keys = d_arr * width + i_arr
        where = np.minimum(np.searchsorted(keys, install_keys), len(keys) - 1)
        own = keys[where] == install_keys
        each_cost[own] = smallest[where[own]]
        own_texts = {rt: text_id(f"{fleet.label(values[rt])}, the device's own figure")
                     for rt in np.unique(rt_arr[own]).tolist()}
        each_text[own] = [own_texts[rt] for rt in rt_arr[own].tolist()]
    # the leanest per device: the cheapest, then first by the runtime's IRI, then the first read
    runtimes = np.unique(rt_arr)
    by_name = np.argsort(np.array([str(values[r]) for r in runtimes.tolist()], dtype=object), kind="stable")
    rank = np.empty(len(runtimes), dtype=np.int64)
    rank[by_name] = np.arange(len(runtimes))
    order = np.lexsort((np.arange(len(d_arr)), rank[np.searchsorted(runtimes, rt_arr)], each_cost, d_arr))
    ordered = d_arr[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    won = order[first]
    cost[d_arr[won]], text[d_arr[won]] = each_cost[won], each_text[won]
    return cost, text, texts


def _price(fleet: Fleet, runtime, cores: frozenset, by_core: dict, any_core: dict) -> tuple[float, str]:
    """What `runtime` costs on a device with `cores` when the install states no figure,
    and how the shapes name it."""
    name = fleet.label(runtime)
    on_cores = sorted(by_core[runtime, core] + (core,) for core in cores if (runtime, core) in by_core)
    if on_cores:
        cost, source, core = on_cores[0]
        return cost, f"{name} on {fleet.label(core)} ({source})"
    if runtime in any_core:
        cost, source = any_core[runtime]
        return cost, f"{name} ({source})"
    return 0.0, f"{name}, no figure stated"


def _largest_regions(fleet: Fleet, prop: str) -> tuple[np.ndarray, list]:
    """Per device, the largest region `prop` says the runtime can use (first by name on a
    tie): its size (NaN where none) and its name."""
    n, values = len(fleet.devices), fleet.terms.values
    size, name = np.full(n, np.nan), [None] * n
    devices, columns = fleet.select("device", _REGIONS, p=prop)
    numbers = fleet.terms.numbers()
    for d, x, label in zip(devices.tolist(), numbers[columns["x"]].tolist(), columns["name"].tolist()):
        text = "" if values[label] is None else lexical(values[label])
        if np.isnan(x):
            continue
        if np.isnan(size[d]) or x > size[d] or (x == size[d] and text < (name[d] or "")):
            size[d], name[d] = x, text or None
    return size, name


BASES = ("measured", "estimated", "declared")
# What the measured need is called where the model has figures for other runtimes or NPUs and
# the device has no TFLM to run it on, or an NPU.
FALLBACK = "measured on TFLM, no figure for the device's runtime or NPU"


def _need(fleet: Fleet, c: Constraint) -> tuple[np.ndarray, np.ndarray]:
    """Per model, the need the shape's query takes: measured, else estimated, else declared
    (NaN when none is stated), and which of the three (an index into BASES)."""
    need = np.full(len(fleet.models), np.nan)
    basis = np.zeros(len(fleet.models), dtype=np.int8)
    for i, name in enumerate(_NEED_PARAMS):
        prop = c.param(name)
        if prop is None:
            continue
        figures = fleet.numbers("model", prop, pick=max)
        fill = np.isnan(need) & ~np.isnan(figures)
        need[fill], basis[fill] = figures[fill], i
    return need, basis


def _stated(fleet: Fleet, c: Constraint, names: tuple[str, ...]) -> np.ndarray:
    """Models stating a value for any of the shape's properties `names`."""
    out = np.zeros(len(fleet.models), dtype=bool)
    for name in names:
        if prop := c.param(name):
            out |= fleet.has("model", prop)
    return out


class FigureKnown(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.on_model = c.param("side") == str(TR.candidateModel)
        if self.on_model:
            self.missing = ~_stated(fleet, c, ("figureProperty", "estimateProperty",
                                               "declaredProperty"))
        else:
            self.missing = ~fleet.has("device", c.param("figureProperty"))
            if c.param("totalProperty"):
                self.missing &= ~fleet.has("device", c.param("totalProperty"))
        self.applies = fleet.in_class(c.param("deviceClass"))

    def patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        if not self.on_model:
            new.missing = splice.rows(self.missing, sub.missing)
        new.applies = fleet.in_class(self.constraint.param("deviceClass"))
        return new

    def models_patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        if self.on_model:
            new.missing = splice.rows(self.missing, sub.missing)
        return new

    def violations(self, models, devices, adjust=NO_ADJUST):
        if self.on_model:
            return self.missing[models][:, None] & self.applies[devices][None, :]
        return (self.missing & self.applies)[devices][None, :]

    def explain(self, model, device, adjust=NO_ADJUST):
        missing = self.missing[model if self.on_model else device]
        if not (missing and self.applies[device]):
            return []
        return [{"label": self.constraint.param("resourceLabel"),
                 "path": self.constraint.param("figureProperty")}]


class FigureBasis(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        measured = fleet.has("model", c.param("figureProperty"))
        self.figure, self.basis = _need(fleet, c)
        self.reported = ~measured & ~np.isnan(self.figure)
        # The query reads the stand-in itself; _need counted the measured one first.
        self.basis[self.reported] = np.where(
            _stated(fleet, c, ("estimateProperty",))[self.reported], 1, 2)

    def patched(self, fleet, sub, splice):
        return self._moved(fleet)  # of the model versions only

    def models_patched(self, fleet, sub, splice):
        new = self._moved(fleet)
        new.figure, new.basis, new.reported = (splice.rows(getattr(self, name), getattr(sub, name))
                                               for name in ("figure", "basis", "reported"))
        return new

    def violations(self, models, devices, adjust=NO_ADJUST):
        width = len(self.fleet.devices) if isinstance(devices, slice) else len(devices)
        return np.repeat(self.reported[models][:, None], width, axis=1)

    def explain(self, model, device, adjust=NO_ADJUST):
        if not self.reported[model]:
            return []
        name = "estimateProperty" if self.basis[model] == 1 else "declaredProperty"
        return [{"label": self.constraint.param("resourceLabel"),
                 "basis": BASES[self.basis[model]], "value": _int(self.figure[model]),
                 "figure": grouped(_int(self.figure[model])),
                 "path": self.constraint.param(name)}]


class SensorCoverage(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.path = c.param("requirementProperty")
        found = fleet.values("model", self.path)
        self.requirements = [tuple(sorted(set(map(str, found.get(m, ()))))) for m in range(len(fleet.models))]
        classes = sorted({r for reqs in self.requirements for r in reqs})
        self.column = {cls: j for j, cls in enumerate(classes)}
        self.covered = self._coverage(fleet, c.param("equipmentProperty"), classes)
        self.groups = _Grouped(self.requirements, self._missing_any, len(fleet.devices))

    def patched(self, fleet, sub, splice):
        if sub.column != self.column:  # the same model versions ask for the same classes
            raise Unpatchable(f"{self.constraint.shape}: required classes differ")
        new = self._moved(fleet)
        new.covered = splice.rows(self.covered, sub.covered)
        new.groups = self.groups.spliced(sub.groups, splice, new._missing_any)
        return new

    def models_patched(self, fleet, sub, splice):
        requirements = splice.items(self.requirements, sub.requirements)
        if sorted({r for reqs in requirements for r in reqs}) != list(self.column):
            # another set of classes: each is its own column of the coverage query
            return type(self)(self.constraint, fleet)
        new = self._moved(fleet)
        new.requirements = requirements
        new.groups = self.groups.regrouped(requirements, new._missing_any)
        return new

    def _coverage(self, fleet: Fleet, equipment: str, required: list[str]) -> np.ndarray:
        """covered[d, j]: device d has a sensor (or sub-system) meeting required class j."""
        covered = np.zeros((len(fleet.devices), len(required)), dtype=bool)
        if not required:
            return covered
        for first in range(0, len(required), _BITS):
            meeting = [(IRI(row["cls"]), 1 << j) for j, req in enumerate(required[first:first + _BITS])
                       for row in fleet.reference(_MEETS, req=req)]
            query = _SENSOR_COVERAGE.replace("CLASSES", values_block(["cls", "bit"], meeting))
            devices, columns = fleet.select("device", query, p=equipment)
            met = np.array([fleet.terms.values[k] for k in columns["met"].tolist()], dtype=np.int64)
            for j in range(min(_BITS, len(required) - first)):
                covered[devices[(met >> j) & 1 == 1], first + j] = True
        return covered

    def _missing_any(self, requirements: tuple) -> np.ndarray:
        if not requirements:
            return np.zeros(len(self.fleet.devices), dtype=bool)
        return ~self.covered[:, [self.column[r] for r in requirements]].all(axis=1)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self.groups.rows(models, devices)

    def explain(self, model, device, adjust=NO_ADJUST):
        return [{"value": req, "label": self.fleet.label(req), "path": self.path}
                for req in self.requirements[model] if not self.covered[device, self.column[req]]]


class RuntimeSupport(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        self.path = constraint.param("operatorUseProperty")
        n_models, n_devices = fleet.shape
        values = fleet.terms.values
        devices, installs = fleet.select("device", INSTALLS)
        installed_ids = np.unique(installs["rt"]).tolist()
        self.failed: dict[tuple[int, str], list[str]] = defaultdict(list)
        models, checks = fleet.select("model", _FAILED_CHECKS)
        for i, rt, reason in zip(models.tolist(), checks["rt"].tolist(), checks["reason"].tolist()):
            why = CHECK_FAILED if values[reason] is None else lexical(values[reason])
            if why not in self.failed[i, values[rt]]:
                self.failed[i, values[rt]].append(why)
        self.runtimes = sorted({values[rt] for rt in installed_ids} | {rt for _, rt in self.failed},
                               key=str)
        column = np.full(len(fleet.terms), -1, dtype=np.int64)
        for j, rt in enumerate(self.runtimes):
            k = fleet.terms.find(rt)
            if k is not None:
                column[k] = j
        self.installed = np.zeros((n_devices, len(self.runtimes)), dtype=bool)
        self.installed[devices, column[installs["rt"]]] = True
        self.supports_all, self.supported = {}, {}
        for rt in self.runtimes:
            rows = fleet.reference(_RUNTIME_SUPPORT, rt=rt)
            self.supports_all[rt] = any(r["all"] is True for r in rows)
            self.supported[rt] = {r["op"] for r in rows if r["op"] is not None}
        ops: dict[int, set[str]] = defaultdict(set)
        models, uses = fleet.select("model", _OPERATORS, p=self.path)
        for i, op in zip(models.tolist(), uses["op"].tolist()):
            ops[i].add(values[op])
        self.operators = [sorted(ops.get(m, ())) for m in range(n_models)]
        # A runtime a model has a figure for compiled it: its operators need no kernel list.
        self.figured: dict[int, set[str]] = defaultdict(set)
        models, figured = fleet.select("model", _FIGURED_RUNTIMES)
        for i, rt in zip(models.tolist(), figured["rt"].tolist()):
            self.figured[i].add(values[rt])
        self._group(n_models, n_devices)

    def _group(self, n_models: int, n_devices: int) -> None:
        runs = [tuple(self._runs(m, rt) for rt in self.runtimes) for m in range(n_models)]
        self.groups = _Grouped(runs, self._no_runtime_runs, n_devices)

    def patched(self, fleet, sub, splice):
        """The runtimes' columns are the previous ones and any a re-read device brings (one
        that no device has any more stays, an empty column: it changes no answer)."""
        new = self._moved(fleet)
        new.runtimes = sorted(set(self.runtimes) | set(sub.runtimes), key=str)
        if new.runtimes == self.runtimes:
            old, installed = self.installed, _columns(sub.installed, sub.runtimes, new.runtimes)
        else:
            old, installed = (_columns(c.installed, c.runtimes, new.runtimes) for c in (self, sub))
        new.installed = splice.rows(old, installed)
        new.supports_all = {**self.supports_all, **sub.supports_all}
        new.supported = {**self.supported, **sub.supported}
        new._group(len(fleet.models), len(fleet.devices))
        return new

    def models_patched(self, fleet, sub, splice):
        """A runtime the model versions re-read have a failed check on and no device has
        installed is a new, empty column."""
        new = self._moved(fleet)
        new.runtimes = sorted(set(self.runtimes) | set(sub.runtimes), key=str)
        if new.runtimes != self.runtimes:
            new.installed = _columns(self.installed, self.runtimes, new.runtimes)
        new.supports_all = {**self.supports_all, **sub.supports_all}
        new.supported = {**self.supported, **sub.supported}
        new.failed = defaultdict(list, splice.keyed(self.failed, sub.failed))
        new.figured = defaultdict(set, splice.keyed(self.figured, sub.figured))
        new.operators = splice.items(self.operators, sub.operators)
        column = {rt: j for j, rt in enumerate(new.runtimes)}
        held = []  # this one's keys over the new columns: an added column is installed nowhere
        for key in self.groups._keys:
            spelled = [False] * len(new.runtimes)
            for rt, runs in zip(self.runtimes, key):
                spelled[column[rt]] = runs
            held.append(tuple(spelled))
        runs = [tuple(new._runs(m, rt) for rt in new.runtimes) for m in range(len(fleet.models))]
        new.groups = self.groups.regrouped(runs, new._no_runtime_runs, held)
        return new

    def _missing(self, model: int, rt: str) -> list[str]:
        if self.supports_all[rt] or rt in self.figured.get(model, ()):
            return []
        return [op for op in self.operators[model] if op not in self.supported[rt]]

    def _runs(self, model: int, rt: str) -> bool:
        return not self.failed.get((model, rt)) and not self._missing(model, rt)

    def _no_runtime_runs(self, runs: tuple) -> np.ndarray:
        return ~self.installed[:, np.array(runs, dtype=bool)].any(axis=1)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self.groups.rows(models, devices)

    def explain(self, model, device, adjust=NO_ADJUST):
        runtimes = [self.runtimes[j] for j in np.flatnonzero(self.installed[device]).tolist()]
        if not runtimes:
            return [{"runtime": "the device", "why": NO_RUNTIME, "path": self.path}]
        if any(self._runs(model, rt) for rt in runtimes):
            return []
        out = []
        for rt in runtimes:
            name = self.fleet.label(rt)
            whys = self.failed.get((model, rt)) or [
                f"it has no kernel for operator {_operator_name(op)}" for op in self._missing(model, rt)]
            out += [{"value": rt, "runtime": name, "why": why, "path": self.path} for why in whys]
        return out


def _columns(table: np.ndarray, names: list, wanted: list) -> np.ndarray:
    """`table`'s columns (named `names`) placed under `wanted` (a superset), the rest empty."""
    out = np.zeros((len(table), len(wanted)), dtype=table.dtype)
    column = {name: j for j, name in enumerate(wanted)}
    out[:, [column[name] for name in names]] = table
    return out


class FeatureRequirement(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.path = c.param("requirementProperty")
        when, fixed = c.param("whenValue"), c.param("featureValue")
        found = fleet.values("model", self.path)
        # Per model: (its value, the device value it wants), only values `when` selects.
        self.wants = [[(v, v if fixed is None else fixed) for v in dict.fromkeys(found.get(m, ()))
                       if when is None or value_key(v) == value_key(when)]
                      for m in range(len(fleet.models))]
        wanted = sorted({value_key(w) for wants in self.wants for _, w in wants}, key=repr)
        self.column = {key: j for j, key in enumerate(wanted)}
        self.has = np.zeros((len(fleet.devices), len(wanted)), dtype=bool)
        if wanted:
            devices, columns = fleet.select("device", _FEATURES, p=c.param("featureProperty"))
            column = np.full(len(fleet.terms), -1, dtype=np.int64)
            for key, j in self.column.items():
                k = fleet.terms.find(key[1])
                if k is not None:
                    column[k] = j
            found = column[columns["f"]]
            self.has[devices[found >= 0], found[found >= 0]] = True
        # Devices the shape looks at: those that state the feature, or those that do not.
        self.considered = np.ones(len(fleet.devices), dtype=bool)
        stated = c.param("whenStated")
        if stated is not None:
            states = np.zeros(len(fleet.devices), dtype=bool)
            states[fleet.select("device", _FEATURES, p=c.param("featureProperty"))[0]] = True
            self.considered = states if stated else ~states
        keys = [tuple(sorted({self.column[value_key(w)] for _, w in wants})) for wants in self.wants]
        self.groups = _Grouped(keys, self._lacks_any, len(fleet.devices))

    def patched(self, fleet, sub, splice):
        if sub.column != self.column:
            raise Unpatchable(f"{self.constraint.shape}: wanted features differ")
        new = self._moved(fleet)
        new.has = splice.rows(self.has, sub.has)
        new.considered = splice.rows(self.considered, sub.considered)
        new.groups = self.groups.spliced(sub.groups, splice, new._lacks_any)
        return new

    def models_patched(self, fleet, sub, splice):
        wants = splice.items(self.wants, sub.wants)
        if sorted({value_key(w) for found in wants for _, w in found}, key=repr) != list(self.column):
            return type(self)(self.constraint, fleet)  # other device values wanted
        new = self._moved(fleet)
        new.wants = wants
        keys = [tuple(sorted({self.column[value_key(w)] for _, w in found})) for found in wants]
        new.groups = self.groups.regrouped(keys, new._lacks_any)
        return new

    def _lacks_any(self, columns: tuple) -> np.ndarray:
        if not columns:
            return np.zeros(len(self.fleet.devices), dtype=bool)
        return ~self.has[:, list(columns)].all(axis=1) & self.considered

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self.groups.rows(models, devices)

    def explain(self, model, device, adjust=NO_ADJUST):
        if not self.considered[device]:
            return []
        return [{"value": value, "label": self.fleet.label(value), "path": self.path}
                for value, wanted in self.wants[model]
                if not self.has[device, self.column[value_key(wanted)]]]


PATTERNS: dict[str, type[Compiled]] = {cls.__name__: cls for cls in (
    ResourceFit, FigureKnown, FigureBasis, SensorCoverage, RuntimeSupport, FeatureRequirement)}


def _operator_name(op: str) -> str:
    return op[len(_OP):] if op.startswith(_OP) else op


def _int(value: float):
    return int(value) if float(value).is_integer() else value

