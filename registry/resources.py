"""The Turtle that ships with the registry: the ontology and the SHACL shapes.

In a checkout they sit at the top of the repository beside `registry/`; in an installed
wheel they sit beside the `registry` package inside `tinyreg/`. Either way they are the
sibling directories of this package, so one lookup serves both. Each file is parsed once
per process.
"""
from __future__ import annotations

import functools
from pathlib import Path

import rdflib

_ROOT = Path(__file__).resolve().parent.parent


def ontology_dir() -> Path:
    return _ROOT / "ontology"


def shapes_dir() -> Path:
    return _ROOT / "shapes"


def ontology_file() -> Path:
    return ontology_dir() / "tinyml.ttl"


@functools.lru_cache(maxsize=None)
def _parse_dir(directory: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(directory.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def ontology_graph() -> rdflib.Graph:
    """Every Turtle file of `ontology/` (the ontology and its reference data) in one graph.

    Callers must not modify it: it is shared for the life of the process.
    """
    return _parse_dir(ontology_dir())


def shapes_graph() -> rdflib.Graph:
    """Every Turtle file of `shapes/` in one graph (shared; do not modify)."""
    return _parse_dir(shapes_dir())
