"""The Turtle that ships with the registry: the ontology, its modules and the SHACL shapes.

In a checkout they sit at the top of the repository beside `registry/`; in an installed
wheel they sit beside the `registry` package inside `tinyreg/`. Either way they are the
sibling directories of this package, so one lookup serves both. Each file is parsed once
per process.

The ontology is `ontology/tinyml.ttl` (the core) and the modules its `owl:imports` name.
There is no network at run time, so an import is resolved to the shipped file that
declares that ontology IRI; a module the core imports but no file declares is a packaging
error, reported as such rather than silently left out.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF

from .runtime_costs import runtime_cost_graph

_ROOT = Path(__file__).resolve().parent.parent


def ontology_dir() -> Path:
    return _ROOT / "ontology"


def shapes_dir() -> Path:
    return _ROOT / "shapes"


def ontology_file() -> Path:
    return ontology_dir() / "tinyml.ttl"


def competency_dir() -> Path:
    return ontology_dir() / "competency"


def changelog_file() -> Path:
    return ontology_dir() / "CHANGELOG.md"


@dataclass(frozen=True)
class Module:
    """One file of the ontology: the core or a module it imports."""
    iri: str
    path: Path
    title: str
    imports: tuple[str, ...]

    @property
    def name(self) -> str:
        """The file's name without `.ttl`: how the documentation and the CLI refer to it."""
        return self.path.stem


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


def _declared(path: Path) -> Module:
    graph = _parse(path)
    names = list(graph.subjects(RDF.type, OWL.Ontology))
    if len(names) != 1:
        raise RuntimeError(f"{path.name} must declare exactly one owl:Ontology, not {len(names)}")
    iri = names[0]
    return Module(str(iri), path, str(graph.value(iri, DCTERMS.title) or path.stem),
                  tuple(sorted(str(i) for i in graph.objects(iri, OWL.imports))))


@functools.lru_cache(maxsize=1)
def modules() -> tuple[Module, ...]:
    """The core first, then every module its imports reach, each once, in import order."""
    catalog = {m.iri: m for m in map(_declared, sorted(ontology_dir().glob("*.ttl")))}
    core = _declared(ontology_file())
    order, todo = [], [core.iri]
    while todo:
        iri = todo.pop(0)
        if iri in (m.iri for m in order):
            continue
        if iri not in catalog:
            raise RuntimeError(f"the ontology imports {iri}, which no file in {ontology_dir()} declares")
        order.append(catalog[iri])
        todo.extend(catalog[iri].imports)
    return tuple(order)


def module_graph(module: Module) -> rdflib.Graph:
    """One module's own triples (shared; do not modify)."""
    return _parse(module.path)


@functools.lru_cache(maxsize=1)
def ontology_graph() -> rdflib.Graph:
    """The core with every module it imports, in one graph: what the registry loads.

    Callers must not modify it: it is shared for the life of the process.
    """
    graph = rdflib.Graph()
    for module in modules():
        part = module_graph(module)
        graph += part
        for prefix, namespace in part.namespaces():
            graph.bind(prefix, namespace, override=False)
    return graph


@functools.lru_cache(maxsize=1)
def reference_graph() -> rdflib.Graph:
    """What the registry loads as its ontology graph: the ontology with its modules and the
    runtime cost table (runtime_costs.py), which the compatibility shapes read beside it.

    Callers must not modify it: it is shared for the life of the process.
    """
    graph = rdflib.Graph()
    graph += ontology_graph()
    graph += runtime_cost_graph()
    for prefix, namespace in ontology_graph().namespaces():
        graph.bind(prefix, namespace, override=False)
    return graph


@functools.lru_cache(maxsize=None)
def _parse_dir(directory: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(directory.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def shapes_graph() -> rdflib.Graph:
    """Every Turtle file of `shapes/` in one graph (shared; do not modify)."""
    return _parse_dir(shapes_dir())
