"""Description shapes: what a model version or a device must state to be registered.

`validate(graph, kind)` runs pySHACL with the description shapes of shapes/ (model.ttl for
kind "model", device.ttl for kind "device") over the submitted graph. A violation refuses
the submission: `Invalid`, whose `results` carry every SHACL result (severity, message,
path, value, focus node). Warnings do not refuse it; they come back in the report for the
caller to keep with the submission.
"""
from __future__ import annotations

from dataclasses import dataclass

import rdflib
from rdflib.namespace import RDF, SH

from .compat.results import BySeverity, Result
from .compat.shacl import report_results
from .errors import Invalid
from .resources import shapes_graph
from .vocab import TR, local_name

# Which shapes judge which kind of submission: those that target these classes.
KINDS = {
    "model": ("model version", {TR.ModelVersion}),
    "device": ("device", {TR.Device, TR.MicrocontrollerBoard, TR.LinuxDevice}),
}


@dataclass
class ValidationReport(BySeverity):
    kind: str
    results: list[Result]

    @property
    def conforms(self) -> bool:
        return not self.violations


def validate(graph: rdflib.Graph | str, kind: str, shapes: rdflib.Graph | None = None) -> ValidationReport:
    """Validate a submission (an rdflib Graph or N-Triples text) against its description shapes.

    Raises `Invalid` when the graph describes nothing of that kind or breaks a shape; the
    error's `results` hold every result, warnings included.
    """
    if kind not in KINDS:
        raise Invalid(f"cannot validate a {kind!r}; kinds are {', '.join(KINDS)}")
    what, classes = KINDS[kind]
    if isinstance(graph, str):
        try:
            graph = rdflib.Graph().parse(data=graph, format="nt")
        except rdflib.exceptions.ParserError as exc:
            raise Invalid(f"the {what} description is not valid N-Triples: {exc}") from None
    if not any((None, RDF.type, cls) in graph for cls in classes):
        raise Invalid(f"the graph describes no {what} (no node typed {_names(classes)})")
    shapes = shapes if shapes is not None else shapes_graph()
    roots = {str(s) for cls in classes for s in shapes.subjects(SH.targetClass, cls)}
    # All shapes run (pySHACL's use_shapes skips the shapes they reach through sh:node);
    # only the results of this kind's shapes count.
    import pyshacl  # here, not at the top: importing it costs every command 0.2 s
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inplace=True)
    results = [r for r in report_results(report, shapes) if r.constraint in roots]
    out = ValidationReport(kind, results)
    if not out.conforms:
        first = out.violations[0]
        where = f" ({_short(first.path)} of {_short(first.focus)})" if first.path else ""
        more = f"; and {len(out.violations) - 1} more" if len(out.violations) > 1 else ""
        raise Invalid(f"the {what} description breaks its shape: {first.message}{where}{more}",
                      results=[r.as_dict() for r in results])
    return out


def _short(iri: str | None) -> str:
    return str(iri) if iri is not None and "#" not in str(iri) else local_name(iri)


def _names(classes) -> str:
    return " or ".join(sorted(f"tr:{_short(c)}" for c in classes))
