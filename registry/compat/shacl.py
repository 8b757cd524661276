"""One pair checked by pySHACL itself: the reference the fleet engine is held to.

The data graph pySHACL validates holds the model version's graph, the device's graph, the
ontology (classes, labels, runtimes, their costs), the shapes (the patterns read their parameters
through $currentShape) and one tr:DeploymentCandidate linking the two. It lives in an
in-memory Oxigraph store: pySHACL runs the patterns' queries there in milliseconds, where
rdflib's query parser alone takes a fifth of a second per query.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from ..errors import NotFound
from ..resources import reference_graph
from ..vocab import TR
from .results import Result, Verdict, answers, sort_results
from .shapes import candidate_shapes, compat_shapes

if TYPE_CHECKING:
    from ..core import Registry

CANDIDATE = rdflib.URIRef("urn:tinyreg:candidate")


@functools.lru_cache(maxsize=8)
def _reference_ntriples(shapes: rdflib.Graph) -> str:
    return reference_graph().serialize(format="nt") + shapes.serialize(format="nt")


def candidate_ntriples(model: str, device: str) -> str:
    c = CANDIDATE.n3()
    # pyoxigraph serialises the IRIs, refusing any that is not one.
    return (f"{c} {RDF.type.n3()} {TR.DeploymentCandidate.n3()} .\n"
            f"{c} {TR.candidateModel.n3()} {ox.NamedNode(model)} .\n"
            f"{c} {TR.candidateDevice.n3()} {ox.NamedNode(device)} .\n")


def validate_pair(model_nt: str, device_nt: str, model: str, device: str,
                  shapes: rdflib.Graph | None = None) -> list[Result]:
    """pySHACL's results for one candidate, given the two entities' N-Triples."""
    shapes = shapes if shapes is not None else compat_shapes()
    data = ox.Store()
    text = _reference_ntriples(shapes) + model_nt + device_nt + candidate_ntriples(model, device)
    data.load(text.encode(), format=ox.RdfFormat.N_TRIPLES)
    import pyshacl  # here, not at the top: importing it costs every command 0.2 s
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, advanced=True, inplace=True,
        use_shapes=[str(s) for s in candidate_shapes(shapes)])
    return report_results(report, shapes)


def report_results(report: rdflib.Graph, shapes: rdflib.Graph) -> list[Result]:
    """The results of a pySHACL report, sorted; a blank property shape is named by the node
    shape holding it, and the candidate node is left out (every compatibility result is
    about it, and pySHACL gives it as the value of a result that has none)."""
    out = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(node, SH.sourceShape)
        while isinstance(shape, rdflib.BNode) and shapes.value(None, SH.property, shape) is not None:
            shape = shapes.value(None, SH.property, shape)
        path, value = report.value(node, SH.resultPath), report.value(node, SH.value)
        focus = report.value(node, SH.focusNode)
        group = shapes.value(shape, SH.group)
        out.append(Result(severity=str(report.value(node, SH.resultSeverity)), constraint=str(shape),
                          message=str(report.value(node, SH.resultMessage) or ""),
                          path=str(path) if isinstance(path, rdflib.URIRef) else None,
                          value=None if value in (None, CANDIDATE) else plain_value(value),
                          focus=None if focus in (None, CANDIDATE) else str(focus),
                          group=None if group is None else str(group)))
    return sort_results(out)


def plain_value(term):
    """A result's value as JSON can carry it: numbers, booleans, text; IRIs and others as text."""
    if isinstance(term, rdflib.Literal):
        value = term.toPython()
        return value if isinstance(value, (bool, int, float, str)) else str(term)
    return str(term)


def check_shacl(registry: Registry, version_iri: str, device_iri: str,
                shapes: rdflib.Graph | None = None) -> Verdict:
    """The verdict of pySHACL on one pair, from the two graphs in the store."""
    store = registry.store
    for iri, what in ((version_iri, "model version"), (device_iri, "device")):
        if not store.has_graph(iri):
            raise NotFound(f"no {what} {iri}")
    results = validate_pair(store.get_graph(version_iri).serialize(format="nt"),
                            store.get_graph(device_iri).serialize(format="nt"),
                            version_iri, device_iri, shapes)
    return Verdict(version_iri, device_iri, *answers(results), results)
