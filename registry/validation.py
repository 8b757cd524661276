"""Description shapes: what a model version or a device must state to be registered.

`validate(graph, kind)` judges a submitted graph (an rdflib Graph, or N-Triples text one
triple to a line) by the description shapes of shapes/ (model.ttl for kind "model",
device.ttl for kind "device"), compiled once per process (description_shapes.py). A
violation refuses the submission: `Invalid`, whose `results` carry every SHACL result
(severity, message, path, value, focus node). Warnings do not refuse it; they come back in
the report for the caller to keep with the submission. `pyshacl_results` asks pySHACL the
same question: the reference the compiled checker is held to in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import rdflib
from rdflib.namespace import RDF, SH

from .compat.results import BySeverity, Result, VIOLATION
from .compat.shacl import report_results
from .description_shapes import Index, checker, index_graph, index_ntriples
from .errors import Invalid
from .resources import shapes_graph
from .vocab import TR, local_name

# Which shapes judge which kind of submission: those that target these classes.
KINDS = {
    "model": ("model version", (TR.ModelVersion,)),
    "device": ("device", (TR.Device, TR.MicrocontrollerBoard, TR.LinuxDevice)),
}
# The classes' N-Triples terms, made once: an rdflib namespace's attribute costs ~0.1 ms,
# as much as judging a small device.
_WANTED = {classes: frozenset(f"<{c}>" for c in classes) for _, classes in KINDS.values()}
_NAMES = {classes: tuple(map(str, classes)) for _, classes in KINDS.values()}
_TYPE = f"<{RDF.type}>"
_ORDER = {VIOLATION: 0, f"{SH}Warning": 1, f"{SH}Info": 2}


@dataclass
class ValidationReport(BySeverity):
    kind: str
    results: list[Result]

    @property
    def conforms(self) -> bool:
        return not self.violations


def validate(graph: rdflib.Graph | str, kind: str, shapes: rdflib.Graph | None = None
             ) -> ValidationReport:
    """Judge a submission by its description shapes; `Invalid` when the graph describes
    nothing of that kind or breaks a shape, with every result (warnings too) in its
    `results`."""
    what, classes = _kind(kind)
    try:
        index = index_ntriples(graph) if isinstance(graph, str) else index_graph(graph)
    except Invalid as exc:
        raise Invalid(f"the {what} description is {exc.detail}") from None
    _describes(index, what, classes)
    results = sort(checker(_NAMES[classes], shapes).results(index))
    return _judged(kind, what, results)


def pyshacl_results(graph: rdflib.Graph | str, kind: str,
                    shapes: rdflib.Graph | None = None) -> list[Result]:
    """pySHACL's results for the same question, of this kind's shapes, sorted alike."""
    _, classes = _kind(kind)
    if isinstance(graph, str):
        graph = rdflib.Graph().parse(data=graph, format="nt")
    shapes = shapes if shapes is not None else shapes_graph()
    roots = {str(s) for cls in classes for s in shapes.subjects(SH.targetClass, cls)}
    # All shapes run (pySHACL's use_shapes skips the shapes they reach through sh:node);
    # only the results of this kind's shapes count.
    import pyshacl  # here, not at the top: importing it costs every command 0.2 s
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inplace=True)
    return sort(r for r in report_results(report, shapes) if r.constraint in roots)


def sort(results) -> list[Result]:
    """Results in one order whatever produced them: by severity, shape, message, focus,
    path and value."""
    return sorted(results, key=lambda r: (_ORDER.get(r.severity, 3), r.constraint, r.message,
                                          r.focus or "", r.path or "", str(r.value)))


def _kind(kind: str):
    if kind not in KINDS:
        raise Invalid(f"cannot validate a {kind!r}; kinds are {', '.join(KINDS)}")
    return KINDS[kind]


def _describes(index: Index, what: str, classes) -> None:
    wanted = _WANTED[classes]
    if not any(wanted.intersection(p.get(_TYPE, ())) for p in index.values()):
        names = " or ".join(sorted(f"tr:{local_name(c)}" for c in classes))
        raise Invalid(f"the graph describes no {what} (no node typed {names})")


def _judged(kind: str, what: str, results: list[Result]) -> ValidationReport:
    out = ValidationReport(kind, results)
    if not out.conforms:
        first = out.violations[0]
        # A blank node's label means nothing to whoever wrote the file: only IRIs are named.
        of = f" of {first.focus}" if first.focus and ":" in first.focus else ""
        where = f" ({local_name(first.path)}{of})" if first.path else ""
        more = f"; and {len(out.violations) - 1} more" if len(out.violations) > 1 else ""
        raise Invalid(f"the {what} description breaks its shape: {first.message}{where}{more}",
                      results=[r.as_dict() for r in results])
    return out
