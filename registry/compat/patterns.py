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
from .fleet import Fleet, lexical, value_key
from .results import grouped
from .shapes import Constraint

_OP = "https://w3id.org/tinyreg/op/"
_TR = "https://w3id.org/tinyreg/ontology#"

# Query texts: the parameters arrive as bindings (?p, ?cls...), never pasted in.
# No OPTIONAL around a bound parameter: the binding joins from outside the group, so inside
# an OPTIONAL the parameter would match any predicate and the join would drop the row.
_INSTALLS = f"""PREFIX tr: <{_TR}>
SELECT ?e ?i ?rt WHERE {{ GRAPH ?e {{ ?e tr:hasRuntime ?i . ?i tr:runtime ?rt }} }}"""
_INSTALL_FIGURES = f"""PREFIX tr: <{_TR}>
SELECT ?e ?i ?x WHERE {{ GRAPH ?e {{ ?e tr:hasRuntime ?i . ?i ?p ?x }} }}"""
_RUNTIME_FIGURE = "SELECT ?x WHERE { ?rt ?p ?x }"
_SENSOR_CLASSES = """PREFIX ssn: <http://www.w3.org/ns/ssn/>
SELECT DISTINCT ?e ?cls WHERE { GRAPH ?e { ?e ?p ?sensor . ?sensor ssn:hasSubSystem* ?part . ?part a ?cls } }"""
_MEETS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?cls WHERE { ?cls (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)* ?req }"""
_OPERATORS = f"""PREFIX tr: <{_TR}>
SELECT DISTINCT ?e ?op WHERE {{ GRAPH ?e {{ ?e ?p ?use . ?use tr:operator ?op }} }}"""
_FAILED_CHECKS = f"""PREFIX tr: <{_TR}>
SELECT ?e ?rt ?reason WHERE {{ GRAPH ?e {{
  ?e tr:runtimeCheck ?c . ?c tr:onRuntime ?rt ; tr:runs false . OPTIONAL {{ ?c tr:reason ?reason }} }} }}"""
_RUNTIME_SUPPORT = f"""PREFIX tr: <{_TR}>
SELECT ?all ?op WHERE {{ {{ ?rt tr:supportsAllOperators ?all }} UNION {{ ?rt tr:supportsOperator ?op }} }}"""
_FEATURES = f"""PREFIX tr: <{_TR}>
SELECT DISTINCT ?e ?f WHERE {{ GRAPH ?e {{ {{ ?e ?p ?f }} UNION {{ ?e tr:hasProcessor ?proc . ?proc ?p ?f }} }} }}"""

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
        self.need = fleet.numbers("model", self.need_property, pick=max)
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
        own: dict[str, list] = defaultdict(list)
        for _, row in fleet.rows("device", _INSTALL_FIGURES, p=prop):
            if _is_number(row["x"]):
                own[row["i"]].append(row["x"])
        typical: dict[str, float] = {}
        per_device: dict[int, float] = {}
        for d, row in fleet.rows("device", _INSTALLS):
            rt = row["rt"]
            if rt not in typical:
                found = fleet.store.select(_RUNTIME_FIGURE, {"rt": _iri(rt), "p": _iri(prop)})
                typical[rt] = min((r["x"] for r in found if _is_number(r["x"])), default=0)
            figure = min(own.get(row["i"]) or [typical[rt]])
            per_device[d] = min(per_device.get(d, figure), figure)
        out = np.zeros(len(fleet.devices))
        if per_device:
            out[list(per_device)] = list(per_device.values())
        return out

    def _needs(self, models, adjust: Adjust) -> np.ndarray:
        return self.need[models] + adjust.model.get(self.need_property, 0)

    def _slacks(self, devices, adjust: Adjust) -> np.ndarray:
        return self.slack[devices] + adjust.device.get(self.capacity_property, 0)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self._needs(models, adjust)[:, None] > self._slacks(devices, adjust)[None, :]

    def explain(self, model, device, adjust=NO_ADJUST):
        need = self._needs(np.array([model]), adjust)[0]
        if not need > self._slacks(np.array([device]), adjust)[0]:
            return []
        capacity = self.capacity[device] + adjust.device.get(self.capacity_property, 0)
        overhead, reserve = self.overhead[device], self.reserve[device]
        total, free = need + overhead, capacity - reserve
        figures = {"need": need, "overhead": overhead, "total": total, "capacity": capacity,
                   "reserve": reserve, "free": free, "short": total - free}
        variables = {name: grouped(_int(v)) for name, v in figures.items()}
        variables.update(label=self.constraint.param("resourceLabel"), value=_int(total),
                         path=self.need_property,
                         figures={k: _int(v) for k, v in figures.items()})
        return [variables]


class FigureKnown(Compiled):
    def __init__(self, constraint: Constraint, fleet: Fleet):
        super().__init__(constraint, fleet)
        c = constraint
        self.on_model = c.param("side") == f"{_TR}candidateModel"
        self.missing = ~fleet.has("model" if self.on_model else "device", c.param("figureProperty"))
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
        pairs = [(i, row["cls"]) for i, row in fleet.rows("device", _SENSOR_CLASSES, p=equipment)]
        if not pairs:
            return covered
        class_id: dict[str, int] = {}
        device_of = np.array([i for i, _ in pairs], dtype=np.int64)
        class_of = np.array([class_id.setdefault(cls, len(class_id)) for _, cls in pairs], dtype=np.int64)
        for j, req in enumerate(required):
            meets = np.zeros(len(class_id), dtype=bool)
            for row in fleet.store.select(_MEETS, {"req": _iri(req)}):
                k = class_id.get(row["cls"])
                if k is not None:
                    meets[k] = True
            covered[device_of[meets[class_of]], j] = True
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
        installs: dict[int, set[str]] = defaultdict(set)
        for i, row in fleet.rows("device", _INSTALLS):
            installs[i].add(row["rt"])
        self.failed: dict[tuple[int, str], list[str]] = defaultdict(list)
        for i, row in fleet.rows("model", _FAILED_CHECKS):
            reason = CHECK_FAILED if row["reason"] is None else lexical(row["reason"])
            if reason not in self.failed[i, row["rt"]]:
                self.failed[i, row["rt"]].append(reason)
        self.runtimes = sorted(set().union(*installs.values()) | {rt for _, rt in self.failed})
        self.installed = np.zeros((n_devices, len(self.runtimes)), dtype=bool)
        column = {rt: j for j, rt in enumerate(self.runtimes)}
        for i, found in installs.items():
            self.installed[i, [column[rt] for rt in found]] = True
        self.installs = {i: sorted(found) for i, found in installs.items()}
        self.supports_all, self.supported = {}, {}
        for rt in self.runtimes:
            rows = fleet.store.select(_RUNTIME_SUPPORT, {"rt": _iri(rt)})
            self.supports_all[rt] = any(r["all"] is True for r in rows)
            self.supported[rt] = {r["op"] for r in rows if r["op"] is not None}
        ops: dict[int, set[str]] = defaultdict(set)
        for i, row in fleet.rows("model", _OPERATORS, p=self.path):
            ops[i].add(row["op"])
        self.operators = [sorted(ops.get(m, ())) for m in range(n_models)]
        runs = [tuple(self._runs(m, rt) for rt in self.runtimes) for m in range(n_models)]
        self.groups = _Grouped(runs, self._no_runtime_runs, n_devices)

    def _missing(self, model: int, rt: str) -> list[str]:
        if self.supports_all[rt]:
            return []
        return [op for op in self.operators[model] if op not in self.supported[rt]]

    def _runs(self, model: int, rt: str) -> bool:
        return not self.failed.get((model, rt)) and not self._missing(model, rt)

    def _no_runtime_runs(self, runs: tuple) -> np.ndarray:
        return ~self.installed[:, np.array(runs, dtype=bool)].any(axis=1)

    def violations(self, models, devices, adjust=NO_ADJUST):
        return self.groups.rows(models, devices)

    def explain(self, model, device, adjust=NO_ADJUST):
        runtimes = self.installs.get(device, [])
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
            for i, row in fleet.rows("device", _FEATURES, p=c.param("featureProperty")):
                j = self.column.get(value_key(row["f"]))
                if j is not None:
                    self.has[i, j] = True
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
    ResourceFit, FigureKnown, SensorCoverage, RuntimeSupport, FeatureRequirement)}


def _operator_name(op: str) -> str:
    return op[len(_OP):] if op.startswith(_OP) else op


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int(value: float):
    return int(value) if float(value).is_integer() else value


def _iri(text: str) -> IRI:
    return IRI(text)
