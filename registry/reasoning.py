"""Checks the ontology with a DL reasoner (HermiT through owlready2).

HermiT is Java: owlready2 starts it as a subprocess, so a Java runtime must be on PATH.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.namespace import OWL

from .errors import Unavailable
from .resources import Module, module_graph, modules


@dataclass
class OntologyReport:
    consistent: bool
    modules: list[str] = field(default_factory=list)  # the ontology IRIs reasoned over
    unsatisfiable: list[str] = field(default_factory=list)
    classes: int = 0
    object_properties: int = 0
    data_properties: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


def check_ontology(selection: tuple[Module, ...] | None = None,
                   extra: rdflib.Graph | None = None) -> OntologyReport:
    """Reason over the core and its modules (all of them unless `selection` says which),
    with `extra` triples (data, or axioms under trial) beside them."""
    if shutil.which("java") is None:
        raise Unavailable("the reasoner needs a Java runtime (`java` not found on PATH); "
                          "install one, e.g. `apt-get install default-jre-headless`")
    import owlready2  # heavy import, only when reasoning

    chosen = modules() if selection is None else selection
    graph = rdflib.Graph()
    for module in chosen:
        graph += module_graph(module)
    if extra is not None:
        graph += extra
    # The modules are all in the one graph already; owlready2 would try to fetch each
    # imported IRI from the network.
    graph.remove((None, OWL.imports, None))
    with tempfile.TemporaryDirectory() as tmp:
        # owlready2 reads N-Triples/RDF-XML, not Turtle: hand it N-Triples.
        path = Path(tmp) / "tinyml.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        report = OntologyReport(
            consistent=True,
            modules=[m.iri for m in chosen],
            classes=len(list(world.classes())),
            object_properties=len(list(world.object_properties())),
            data_properties=len(list(world.data_properties())),
        )
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            report.consistent = False
            report.error = str(exc)
            return report
        report.unsatisfiable = sorted(c.iri for c in world.inconsistent_classes()
                                      if c is not owlready2.Nothing)
        return report
