"""SPARQL functions the registry answers, in the namespace https://w3id.org/tinyreg/function#.

    SELECT ?device ?why WHERE {
      ?device a tr:Device .
      BIND(trf:why(<.../model/kws-micro/v/1>, ?device) AS ?why)
      FILTER(!trf:fits(<.../model/kws-micro/v/1>, ?device))
    }

A query asks the compatibility engine through these, so a SPARQL answer and the engine's
can never disagree: there is one definition of "fits", the shapes. Each function is a
`SparqlFunction` in `FUNCTIONS`; adding one is writing its answer and decorating it with
`sparql_function` (a module that does so must be imported by `load_functions`).

How a call is answered: `Calls` holds one query's calls, with the engine fetched once per
query and the answers for one model version worked out for the whole fleet at its first
call. The embedded store passes them to Oxigraph as custom functions; the public endpoint's
worker processes send each call back to the server, which answers it here (web/sparql/pool.py);
an external store is asked through a local copy of its graphs (registry/store/mirror.py).

Arguments are model versions and devices, as IRIs or as the names people type (`"kws-micro"`,
`"kws-micro@2"`, a device's identifier). An answer the engine cannot give (an unknown model or
device, a fact left unknown) is no value: the variable stays unbound, as SPARQL does for
any function that fails.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pyoxigraph as ox

from .errors import TinyregError
from .vocab import FUNCTION_NS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SparqlFunction:
    name: str  # local name in FUNCTION_NS
    params: tuple[str, ...]
    returns: str  # what the answer is, for people (the SPARQL page lists it)
    doc: str
    answer: Callable[..., Any]  # (calls, *arguments) -> a Python value or None
    # Whether a version's answers for every device are worked out at once (fits, runs): a
    # query worker then asks the server once per version, not once per row.
    by_version: bool = False

    @property
    def iri(self) -> str:
        return FUNCTION_NS + self.name

    @property
    def signature(self) -> str:
        return f"trf:{self.name}({', '.join('?' + p for p in self.params)})"


FUNCTIONS: dict[str, SparqlFunction] = {}


def sparql_function(name: str, params: tuple[str, ...], returns: str, doc: str,
                    by_version: bool = False):
    """Register the decorated `answer(calls, *arguments)` as trf:NAME; `by_version` for a
    function of (version, device) whose answers for one version cost one row of the engine."""
    def register(answer: Callable[..., Any]) -> Callable[..., Any]:
        if name in FUNCTIONS:
            raise ValueError(f"SPARQL function trf:{name} is defined twice")
        FUNCTIONS[name] = SparqlFunction(name, params, returns, doc, answer, by_version)
        return answer
    return register


def load_functions() -> dict[str, SparqlFunction]:
    """Every function, the modules that define some of them imported."""
    return FUNCTIONS


def function_iris() -> list[str]:
    return [f.iri for f in load_functions().values()]


def by_version_iris() -> list[str]:
    return [f.iri for f in load_functions().values() if f.by_version]


def query(registry: Any, sparql: str, bindings: Any = None) -> Any:
    """`Registry.query` with these functions: what `tinyreg query` and the demo ask."""
    return registry.query(sparql, bindings, functions=Calls(registry).custom_functions())


class Calls:
    """The calls of one query: the registry asked at most once per model version and device."""

    def __init__(self, registry: Any):
        self.registry = registry
        self._rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._latencies: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}
        self._names: dict[tuple[str, str], int | None] = {}

    @functools.cached_property
    def engine(self) -> Any:
        from .compat import fleet_engine  # the engine's modules load with the first call
        return fleet_engine(self.registry)

    def call(self, iri: str, arguments: tuple[Any, ...]) -> Any:
        """The answer of function `iri` as an Oxigraph term, or None (no value)."""
        function = FUNCTIONS.get(iri[len(FUNCTION_NS):]) if iri.startswith(FUNCTION_NS) else None
        if function is None or len(arguments) != len(function.params):
            return None
        try:
            return _term(function.answer(self, *arguments))
        except TinyregError as exc:  # e.g. a name that names nothing
            log.debug("trf:%s%r: %s", function.name, arguments, exc)
            return None

    def row(self, iri: str, version: Any) -> dict[str, Any]:
        """The answers of a `by_version` function for `version` and every device of the
        fleet, by device IRI (what a query worker asks for instead of one call a row)."""
        if self.model(version) is None:
            return {}
        return {d: self.call(iri, (version, ox.NamedNode(d))) for d in self.engine.fleet.devices}

    def custom_functions(self) -> dict[ox.NamedNode, Callable[..., Any]]:
        """The functions as Oxigraph takes them (`custom_functions=`)."""
        return {ox.NamedNode(f.iri): functools.partial(self._called, f.iri)
                for f in load_functions().values()}

    def _called(self, iri: str, *arguments: Any) -> Any:
        return self.call(iri, arguments)

    # ---- for the functions
    def model(self, term: Any) -> int | None:
        return self._index(term, "model")

    def device(self, term: Any) -> int | None:
        return self._index(term, "device")

    def answers(self, model: int) -> tuple[list, list]:
        """(runs, fits) of one model version on every device of the fleet."""
        if model not in self._rows:
            self._rows[model] = runs_and_fits(self.engine, model)
        return self._rows[model]

    def latencies(self, model: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(estimate in ms, option) of the fastest way each device runs one model version,
        as the latency shapes judge it; None when the shapes have no latency budget."""
        if model not in self._latencies:
            latency = self.engine.latency
            self._latencies[model] = None if latency is None else tuple(
                a[0] for a in latency.fastest(np.array([model]), slice(None)))
        return self._latencies[model]

    def _index(self, term: Any, kind: str) -> int | None:
        if isinstance(term, ox.NamedNode):
            text = term.value
        elif isinstance(term, ox.Literal):
            text = term.value
        else:
            return None
        key = (kind, text)
        if key not in self._names:
            self._names[key] = self._lookup(text, kind, isinstance(term, ox.Literal))
        return self._names[key]

    def _lookup(self, text: str, kind: str, by_name: bool) -> int | None:
        engine = self.engine
        index = engine.fleet.model_index if kind == "model" else engine.fleet.device_index
        if not by_name:
            return index.get(text)
        from .compat import resolve_device, resolve_model
        try:
            iri = (resolve_model if kind == "model" else resolve_device)(self.registry, text)
        except TinyregError:
            return None
        return index.get(iri)


def runs_and_fits(engine: Any, model: int) -> tuple[list, list]:
    """Per device, whether the model version runs on it (memory, runtime, operators, number
    format, accelerator) and whether it fits it (it runs, and the sensors are there): True,
    False, or None where the answer depends on a fact the device or model does not state
    (the engine's two answers, compat.engine.Outcomes)."""
    found = engine.outcomes(np.array([model]))

    def answer(no: np.ndarray, unknown: np.ndarray) -> list:
        return [None if u else not n for n, u in zip(no[0].tolist(), unknown[0].tolist())]
    return answer(found.runs_no, found.runs_unknown), answer(found.fits_no, found.fits_unknown)


def _term(value: Any) -> Any:
    """A Python answer as an Oxigraph term (None stays no value)."""
    if value is None or isinstance(value, (ox.NamedNode, ox.Literal)):
        return value
    if isinstance(value, (bool, np.bool_)):
        return ox.Literal("true" if value else "false",
                          datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    if isinstance(value, (int, np.integer)):
        return ox.Literal(str(int(value)),
                          datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if isinstance(value, (float, Decimal, np.floating)):
        return ox.Literal(str(Decimal(str(value))),
                          datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    return ox.Literal(str(value))


# ---- the functions

def _pair(calls: Calls, version: Any, device: Any) -> tuple[int, int] | None:
    m, d = calls.model(version), calls.device(device)
    return None if m is None or d is None else (m, d)


def _answer(calls: Calls, version: Any, device: Any, which: int) -> bool | None:
    """Answer `which` (0: runs, 1: fits) of the pair; None (no value) when either names
    nothing, or when the answer is unknown (a fact it depends on is not stated)."""
    pair = _pair(calls, version, device)
    return None if pair is None else calls.answers(pair[0])[which][pair[1]]


@sparql_function("fits", ("version", "device"), "xsd:boolean",
                 "Whether the model version fits the device: it runs there and the sensors "
                 "its input needs are on the board (the compatibility shapes); no value "
                 "when that is unknown.",
                 by_version=True)
def fits(calls: Calls, version: Any, device: Any) -> bool | None:
    return _answer(calls, version, device, 1)


@sparql_function("runs", ("version", "device"), "xsd:boolean",
                 "Whether the model version runs on the device: memory, flash, operators, "
                 "runtime and number format, whatever sensors it needs; no value when that "
                 "is unknown.",
                 by_version=True)
def runs(calls: Calls, version: Any, device: Any) -> bool | None:
    return _answer(calls, version, device, 0)


@sparql_function("why", ("version", "device"), "xsd:string",
                 "What the compatibility shapes report for the pair, most severe first, "
                 "joined by '; ' (empty when there is nothing to report); the headroom "
                 "figures are in the API's verdicts.")
def why(calls: Calls, version: Any, device: Any) -> str | None:
    pair = _pair(calls, version, device)
    if pair is None:
        return None
    from .compat import HEADROOM  # here: the core imports no engine at import time
    return "; ".join(r.message for r in calls.engine.results(*pair) if r.group != HEADROOM)


def _latency(calls: Calls, version: Any, device: Any, end: int) -> float | None:
    """The estimate (end 0), the band's low end (1) or its high end (2), in ms."""
    pair = _pair(calls, version, device)
    latencies = None if pair is None else calls.latencies(pair[0])
    if latencies is None:
        return None
    best, which = latencies
    timing = calls.engine.latency.timing_of(float(best[pair[1]]), int(which[pair[1]]))
    return None if timing is None else (timing.estimate_ms, timing.low_ms, timing.high_ms)[end]


@sparql_function("latency", ("version", "device"), "xsd:decimal",
                 "The estimated time of one inference in ms, on the fastest way the device "
                 "runs the model (a core, its clock, a runtime), as `tinyreg estimate` and the "
                 "latency budget compute it; no value where there is no estimate.",
                 by_version=True)
def latency(calls: Calls, version: Any, device: Any) -> float | None:
    return _latency(calls, version, device, 0)


@sparql_function("latencyLow", ("version", "device"), "xsd:decimal",
                 "The low end of trf:latency's band, in ms (a 90 % interval of the "
                 "calibration's own errors).",
                 by_version=True)
def latency_low(calls: Calls, version: Any, device: Any) -> float | None:
    return _latency(calls, version, device, 1)


@sparql_function("latencyHigh", ("version", "device"), "xsd:decimal",
                 "The high end of trf:latency's band, in ms.",
                 by_version=True)
def latency_high(calls: Calls, version: Any, device: Any) -> float | None:
    return _latency(calls, version, device, 2)
