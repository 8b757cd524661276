"""Devices into the store: one file, a directory of files, and reading them back.

Every device is one named graph written whole, so an import that fails half way leaves
each device either as it was or as the file says, never half of one. A directory import
reports every file; a bad file does not stop it (`bulk` has how a fleet gets in fast).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import rdflib

from ..errors import Invalid, NotFound
from ..validation import validate
from ..vocab import ID, PREFIXES, device_iri
from .bulk import import_files
from .catalog import iter_catalog
from .files import FileResult, iter_files, iter_paths, read_file


def add_device(registry, data: bytes, filename: str | None = None) -> FileResult:
    """Register what one file describes; `Invalid` when the file cannot be read or a
    device it describes breaks the description shapes (nothing is stored then).

    Shape warnings are kept in the result's warnings.
    """
    result, graphs = read_file(data, filename)
    if not result.ok:
        raise Invalid(f"{result.path}: {result.error}")
    for name, graph in graphs.items():
        kind = "device" if name in result.devices else "model" if name in result.models else None
        if kind:
            report = validate(graph, kind)
            result.warnings.extend(w.message for w in report.warnings)
    registry.store.put_graphs(graphs)
    return result


def import_dir(registry, path: str | Path,
               progress: Callable[[FileResult], None] | None = None,
               workers: int | None = None) -> list[FileResult]:
    """Register every device file below `path`; one result per file, in path order.

    `workers` processes read the files (default: one per CPU; a small directory is read in
    this process). `progress` is called for each file once it is read; a file whose graphs
    the store then refuses has its error set in the list returned.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotFound(f"no directory {path}")
    return import_files(registry.store, list(iter_paths(str(root))), progress, workers)


def load_catalog(registry) -> int:
    """Put the bundled board catalog in the store (the demo data)."""
    return registry.store.bulk_load((r.iri, r.ntriples()) for r in iter_catalog())


_LIST = """
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?device ?id ?name ?kind ?ram ?flash ?core ?format
       (GROUP_CONCAT(DISTINCT ?reason; separator="; ") AS ?incomplete)
WHERE {
  GRAPH ?device {
    ?device a ?kind ; schema:identifier ?id ; schema:name ?name ; tr:sourceFormat ?format .
    VALUES ?kind { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device }
    OPTIONAL { ?device tr:ramBytes ?ram }
    OPTIONAL { ?device tr:flashBytes ?flash }
    OPTIONAL { ?device tr:hasProcessor/tr:core ?core }
    OPTIONAL { ?device tr:incomplete ?reason }
  }
}
GROUP BY ?device ?id ?name ?kind ?ram ?flash ?core ?format
ORDER BY ?id
"""


def list_devices(registry) -> list[dict]:
    """One row per device: identifier, name, kind, RAM and flash bytes, core, source format."""
    rows = []
    for row in registry.store.select(_LIST):
        rows.append({
            "id": str(row["id"]), "name": str(row["name"]), "kind": _local(row["kind"]),
            "ram": _int(row.get("ram")), "flash": _int(row.get("flash")),
            "core": _local(row.get("core")), "format": str(row["format"]),
            "incomplete": str(row["incomplete"]) if row.get("incomplete") else None,
            "iri": str(row["device"]),
        })
    return rows


def show_device(registry, iri_or_slug: str) -> rdflib.Graph:
    """The device's graph, by its IRI or its identifier."""
    iri = iri_or_slug if iri_or_slug.startswith(ID) else device_iri(iri_or_slug)
    if not registry.store.has_graph(iri):
        raise NotFound(f"no device {iri_or_slug}")
    graph = registry.store.get_graph(iri)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _local(term) -> str | None:
    return str(term).rsplit("#", 1)[-1] if term is not None else None


def _int(term) -> int | None:
    return int(str(term)) if term is not None else None


__all__ = ["FileResult", "add_device", "import_dir", "iter_files", "iter_paths", "list_devices",
           "load_catalog", "read_file", "show_device"]
