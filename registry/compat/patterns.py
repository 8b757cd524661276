"""The patterns of shapes/patterns.ttl, compiled to array operations over a fleet.

Each class here mirrors one pattern's SPARQL query: it loads the columns the query reads
and answers two questions: which (model, device) pairs the constraint reports
(`violations`, vectorised, broadcastable to models x devices) and, for one pair, the
variables of each result the query would return (`explain`), from which the engine fills
the shape's message. A shape that instantiates a pattern needs no code here; a new
pattern needs both its SPARQL and a class.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..store import IRI
from ..store.terms import values_block
from ..vocab import OP, TR, prefixes
from .figures import RuntimeFigures
from .fleet import Fleet, is_number, lexical, value_key
from .results import grouped
from .shapes import Constraint

_OP = str(OP)

# Query texts: the parameters arrive as bindings (?p, ?cls...), never pasted in. Entity
# queries read each entity's own graph; where they follow a node (an install, a sensor, a
# processor) they join sub-queries inside the store rather than one pattern after another,
# so that the store scans each predicate once instead of seeking once per device.
# No OPTIONAL around a bound parameter: the binding joins from outside the group, so inside
# an OPTIONAL the parameter would match any predicate and the join would drop the row.
_INSTALL_NODES = f"""{{ SELECT ?e ?i ?rt WHERE {{
    {{ SELECT ?e ?i WHERE {{ GRAPH ?e {{ ?e tr:hasRuntime ?i }} }} }}
    {{ SELECT ?e ?i ?rt WHERE {{ GRAPH ?e {{ ?i tr:runtime ?rt }} }} }} }} }}"""
_INSTALLS = prefixes("tr") + f"""
SELECT ?e ?rt WHERE {{ {_INSTALL_NODES} }}"""
# The installs that state a number for ?p, with it (?i tells installs apart in one answer).
_INSTALL_FIGURES = prefixes("tr") + f"""
SELECT ?e ?i ?rt ?x WHERE {{ {_INSTALL_NODES}
  {{ SELECT ?e ?i ?x WHERE {{ GRAPH ?e {{ ?i ?p ?x }} FILTER(isNumeric(?x)) }} }} }}"""
_RUNTIME_FIGURE = "SELECT ?x WHERE { ?rt ?p ?x }"
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
_MEETS = prefixes("rdfs", "owl") + """
SELECT DISTINCT ?cls WHERE { ?cls (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)* ?req }"""
_OPERATORS = prefixes("tr") + f"""
SELECT DISTINCT ?e ?op WHERE {{ GRAPH ?e {{ ?e ?p ?use . ?use tr:operator ?op }} }}"""
_FAILED_CHECKS = prefixes("tr") + f"""
SELECT ?e ?rt ?reason WHERE {{ GRAPH ?e {{
  ?e tr:runtimeCheck ?c . ?c tr:onRuntime ?rt ; tr:runs false . OPTIONAL {{ ?c tr:reason ?reason }} }} }}"""
_FIGURED_RUNTIMES = prefixes("tr") + f"""
SELECT DISTINCT ?e ?rt WHERE {{ GRAPH ?e {{ ?e tr:runtimeFigure ?f . ?f tr:onRuntime ?rt }} }}"""
_RUNTIME_SUPPORT = prefixes("tr") + f"""
SELECT ?all ?op WHERE {{ {{ ?rt tr:supportsAllOperators ?all }} UNION {{ ?rt tr:supportsOperator ?op }} }}"""
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


class _Grouped:
    """Models that share one requirement set share one device vector, computed once."""

    def __init__(self, keys: list[tuple], vector: Callable[[tuple], np.ndarray], width: int):
        groups: dict[tuple, int] = {}
        self.group_of = np.array([groups.setdefault(k, len(groups)) for k in keys], dtype=np.int64)
        self._keys = list(groups)
        self._vector = vector
        self._width = width
        self._table: np.ndarray | None = None

    def rows(self, models: np.ndarray, devices) -> np.ndarray:
        if self._table is None:
            self._table = np.stack([self._vector(k) for k in self._keys]) if self._keys else \
                np.zeros((0, self._width), dtype=bool)
        table = self._table[:, devices] if not isinstance(devices, slice) else self._table
        return table[self.group_of[models]]


class ResourceFit(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.need_property = c.param("needProperty")
        self.capacity_property = c.param("capacityProperty")
        self.need, self.basis = _need(fleet, c)
        figure = c.param("runtimeFigureProperty")
        self.figures = RuntimeFigures(fleet, figure) if figure else None
        self.capacity = fleet.numbers("device", self.capacity_property, pick=min)
        reserve = c.param("reserveProperty")
        self.reserve = np.nan_to_num(fleet.numbers("device", reserve, pick=max)) if reserve \
            else np.zeros(len(fleet.devices))
        overhead = c.param("overheadProperty")
        self.overhead = self._leanest_overhead(fleet, overhead) if overhead \
            else np.zeros(len(fleet.devices))
        applies = fleet.in_class(c.param("deviceClass"))
        # need + overhead <= capacity - reserve, as need <= slack; NaN (unknown) never compares.
        self.slack = np.where(applies, self.capacity - self.reserve - self.overhead, np.inf)

    @staticmethod
    def _leanest_overhead(fleet: Fleet, prop: str) -> np.ndarray:
        """Per device, the smallest overhead among its runtimes: the install's own figure,
        else the runtime's typical one (ontology/runtimes.ttl), else 0."""
        devices, installs = fleet.select("device", _INSTALLS)
        stated, figures = fleet.select("device", _INSTALL_FIGURES, p=prop)
        span = len(fleet.terms)
        runtime = installs["rt"]
        # Per (device, runtime): how many installs there are, and how many state a figure;
        # the runtime's typical figure stands for the installs that do not.
        pairs, count = np.unique(devices * span + runtime, return_counts=True)
        with_figure = np.unique(np.stack([stated, figures["i"], figures["rt"]], axis=1), axis=0)
        counted, owned = np.unique(with_figure[:, 0] * span + with_figure[:, 2], return_counts=True)
        owned_by_pair = np.zeros(len(pairs), dtype=np.int64)
        at = np.minimum(np.searchsorted(pairs, counted), max(len(pairs) - 1, 0))
        known = pairs[at] == counted if len(pairs) else np.zeros(len(counted), dtype=bool)
        owned_by_pair[at[known]] = owned[known]
        bare = pairs[count > owned_by_pair]
        bare_device, bare_runtime = bare // span, bare % span
        typical = np.zeros(span)
        for rt in np.unique(bare_runtime).tolist():
            rows = fleet.reference(_RUNTIME_FIGURE, rt=fleet.terms.values[rt], p=prop)
            typical[rt] = min((r["x"] for r in rows if is_number(r["x"])), default=0)
        out = np.full(len(fleet.devices), np.nan)
        np.fmin.at(out, bare_device, typical[bare_runtime])
        np.fmin.at(out, stated, fleet.terms.numbers()[figures["x"]])
        return np.nan_to_num(out, nan=0.0)

    def _needs(self, models, adjust: Adjust) -> np.ndarray:
        return self.need[models] + adjust.model.get(self.need_property, 0)

    def _slacks(self, devices, adjust: Adjust) -> np.ndarray:
        return self.slack[devices] + adjust.device.get(self.capacity_property, 0)

    def violations(self, models, devices, adjust=NO_ADJUST):
        needs, slacks = self._needs(models, adjust), self._slacks(devices, adjust)
        out = needs[:, None] > slacks[None, :]
        if self.figures is not None and self.figures.need:
            delta = adjust.model.get(self.need_property, 0)
            for row in np.flatnonzero(np.isin(models, list(self.figures.need))).tolist():
                # Where a runtime or NPU figure applies, it is the need; elsewhere the model's.
                figure = self.figures.need[int(models[row])][devices] + delta
                out[row] = np.where(np.isnan(figure), needs[row], figure) > slacks
        return out

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
        return [v for need, basis in cases if (v := self._explain(need, basis, device, adjust))]

    def _explain(self, need, basis: str, device: int, adjust: Adjust) -> dict | None:
        if not need > self._slacks(np.array([device]), adjust)[0]:
            return None
        capacity = self.capacity[device] + adjust.device.get(self.capacity_property, 0)
        overhead, reserve = self.overhead[device], self.reserve[device]
        total, free = need + overhead, capacity - reserve
        figures = {"need": need, "overhead": overhead, "total": total, "capacity": capacity,
                   "reserve": reserve, "free": free, "short": total - free}
        variables = {name: grouped(_int(v)) for name, v in figures.items()}
        variables.update(label=self.constraint.param("resourceLabel"), value=_int(total),
                         path=self.need_property, basis=basis,
                         figures={k: _int(v) for k, v in figures.items()})
        return variables


BASES = ("measured", "estimated", "declared")
# What the measured need is called where the model has figures for other runtimes or NPUs and
# the device has no TFLM to run it on, or an NPU.
FALLBACK = "measured on TFLM, no figure for the device's runtime or NPU"


def _need(fleet: Fleet, c: Constraint) -> tuple[np.ndarray, np.ndarray]:
    """Per model, the need the shape's query takes: measured, else estimated, else declared
    (NaN when none is stated), and which of the three (an index into BASES)."""
    need = np.full(len(fleet.models), np.nan)
    basis = np.zeros(len(fleet.models), dtype=np.int8)
    for i, name in enumerate(("needProperty", "estimateProperty", "declaredProperty")):
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
        self.applies = fleet.in_class(c.param("deviceClass"))

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
        devices, installs = fleet.select("device", _INSTALLS)
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
        runs = [tuple(self._runs(m, rt) for rt in self.runtimes) for m in range(n_models)]
        self.groups = _Grouped(runs, self._no_runtime_runs, n_devices)

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
        keys = [tuple(sorted({self.column[value_key(w)] for _, w in wants})) for wants in self.wants]
        self.groups = _Grouped(keys, self._lacks_any, len(fleet.devices))

    def _lacks_any(self, columns: tuple) -> np.ndarray:
        if not columns:
            return np.zeros(len(self.fleet.devices), dtype=bool)
        return ~self.has[:, list(columns)].all(axis=1)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self.groups.rows(models, devices)

    def explain(self, model, device, adjust=NO_ADJUST):
        return [{"value": value, "label": self.fleet.label(value), "path": self.path}
                for value, wanted in self.wants[model]
                if not self.has[device, self.column[value_key(wanted)]]]


PATTERNS: dict[str, type[Compiled]] = {cls.__name__: cls for cls in (
    ResourceFit, FigureKnown, FigureBasis, SensorCoverage, RuntimeSupport, FeatureRequirement)}


def _operator_name(op: str) -> str:
    return op[len(_OP):] if op.startswith(_OP) else op


def _int(value: float):
    return int(value) if float(value).is_integer() else value

