"""The compatibility constraints as the shapes define them.

Every shape that targets tr:DeploymentCandidate is one constraint: an instance of a pattern
of shapes/patterns.ttl (named by its sh:sparql), with the pattern's parameters, a severity
and a message template. The fleet engine compiles these; pySHACL reads the same graph.
A candidate shape the engine cannot compile is refused here, by name, so that the two
checkers can never quietly disagree.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import rdflib
from rdflib.namespace import RDF, SH

from ..errors import Invalid
from ..resources import shapes_graph
from ..vocab import SHAPES_IRI, TR, local_name
from .results import BUDGET, HEADROOM, RUNS, SENSORS, VIOLATION

TRS = rdflib.Namespace(SHAPES_IRI + "#")
# What a compatibility shape may say besides its pattern's parameters.
_SHAPE_PREDICATES = {RDF.type, SH.targetClass, SH.sparql, SH.severity, SH.message, SH.deactivated,
                     SH.name, SH.description, SH.order, SH.group, rdflib.RDFS.label,
                     rdflib.RDFS.comment, rdflib.RDFS.seeAlso}


# The parts of a verdict a shape can belong to (sh:group): see shapes/patterns.ttl.
GROUPS = (RUNS, SENSORS, BUDGET, HEADROOM)


@dataclass(frozen=True)
class Constraint:
    shape: str
    pattern: str  # the pattern's local name: ResourceFit, SensorCoverage, ...
    severity: str
    message: str
    params: dict[str, Any]  # parameter local name -> value (IRIs as str, literals as Python)
    group: str = RUNS  # RUNS, SENSORS or HEADROOM

    @property
    def blocking(self) -> bool:
        return self.severity == VIOLATION

    @property
    def deciding(self) -> bool:
        """Whether its results take part in the verdict (headroom figures do not)."""
        return self.group != HEADROOM

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


def compat_shapes() -> rdflib.Graph:
    """The shipped shapes graph (every file of shapes/)."""
    return shapes_graph()


def candidate_shapes(graph: rdflib.Graph) -> list[rdflib.term.Node]:
    return sorted(graph.subjects(SH.targetClass, TR.DeploymentCandidate), key=str)


@functools.lru_cache(maxsize=8)
def _read(graph: rdflib.Graph) -> tuple[Constraint, ...]:
    constraints = []
    for shape in candidate_shapes(graph):
        if _deactivated(graph, shape):
            continue
        patterns = list(graph.objects(shape, SH.sparql))
        if len(patterns) != 1:
            raise Invalid(f"compatibility shape {shape} must use exactly one pattern of "
                          f"shapes/patterns.ttl (sh:sparql); it has {len(patterns)}")
        constraints.append(_constraint(graph, shape, patterns[0]))
    return tuple(constraints)


def read_constraints(graph: rdflib.Graph | None = None) -> tuple[Constraint, ...]:
    """The constraints of `graph` (the shipped shapes by default), in shape-IRI order."""
    return _read(graph if graph is not None else compat_shapes())


def _deactivated(graph: rdflib.Graph, shape) -> bool:
    return any(to_python_literal(v) is True for v in graph.objects(shape, SH.deactivated))


def _constraint(graph: rdflib.Graph, shape, pattern) -> Constraint:
    if (pattern, RDF.type, TRS.Pattern) not in graph:
        raise Invalid(f"compatibility shape {shape}: {pattern} is not a pattern of shapes/patterns.ttl")
    required = set(graph.objects(pattern, TRS.parameter))
    allowed = required | set(graph.objects(pattern, TRS.optionalParameter))
    others = set(graph.predicates(shape)) - _SHAPE_PREDICATES - allowed
    if others:
        # A core constraint (sh:property, sh:minCount...) would bind pySHACL but not the engine.
        raise Invalid(f"compatibility shape {shape} says {', '.join(sorted(map(str, others)))}, "
                      f"which is not a parameter of {local_name(pattern)}")
    params: dict[str, Any] = {}
    for prop in allowed:
        values = list(graph.objects(shape, prop))
        if len(values) > 1:
            raise Invalid(f"compatibility shape {shape}: {prop} has {len(values)} values, it takes one")
        if values:
            params[local_name(prop)] = to_python_literal(values[0])
    missing = sorted(local_name(p) for p in required if local_name(p) not in params)
    if missing:
        raise Invalid(f"compatibility shape {shape} uses {local_name(pattern)} but lacks {', '.join(missing)}")
    messages = list(graph.objects(shape, SH.message))
    if len(messages) != 1:
        raise Invalid(f"compatibility shape {shape} needs exactly one sh:message")
    severity = graph.value(shape, SH.severity) or SH.Violation
    groups = [str(g) for g in graph.objects(shape, SH.group)]
    if len(groups) != 1 or groups[0] not in GROUPS:
        raise Invalid(f"compatibility shape {shape} must be in one of the groups "
                      f"{', '.join(local_name(g) for g in GROUPS)} (sh:group); it names {groups or 'none'}")
    return Constraint(shape=str(shape), pattern=local_name(pattern), severity=str(severity),
                      message=str(messages[0]), params=params, group=groups[0])


def to_python_literal(term) -> Any:
    """A shapes-graph term as the engine compares it: IRIs as str, literals by datatype."""
    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, rdflib.Literal):
        value = term.toPython()
        return value if not isinstance(value, rdflib.Literal) else str(value)
    return str(term)
