"""Devices into the store: one file, a directory of files, and reading them back.

Every device is one named graph written whole (the store replaces a graph atomically), so
an import that fails half way leaves each device either as it was or as the file says,
never half of one. A directory import reports every file; a bad file does not stop it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from ..errors import Invalid, NotFound
from ..store import GraphLike
from ..vocab import ID, PREFIXES, device_iri
from . import device_record, parse_prototype
from .catalog import iter_catalog, records_from_catalog
from .detect import detect

# Files `import_dir` looks at; others (READMEs, licences) are skipped without a word.
SUFFIXES = (".json", ".jsonld", ".yaml", ".yml", ".ttl")
_BATCH = 2000


@dataclass
class FileResult:
    path: str
    format: str | None = None
    devices: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def read_file(data: bytes, filename: str | None) -> tuple[FileResult, dict[str, GraphLike]]:
    """The graphs one file holds (devices, and models for the prototype's Turtle)."""
    result = FileResult(path=filename or "-")
    graphs: dict[str, GraphLike] = {}
    try:
        found = detect(data, filename)
        result.format = found.format
        if found.format == "turtle":
            imported = parse_prototype(found.document)
            records, models = imported.devices, imported.models
            result.warnings.extend(imported.report)
        elif found.format == "catalog":
            records, models = list(records_from_catalog(found.document)), []
        else:
            records, models = [device_record(found, filename)], []
    except Invalid as exc:
        result.error = exc.detail
        return result, {}
    for record in records:
        graphs[record.iri] = record.ntriples()
        result.devices.append(record.iri)
        result.warnings.extend(record.warnings)
    for model in models:
        graphs[model.iri] = model.graph
        result.models.append(model.iri)
    return result, graphs


def add_device(registry, data: bytes, filename: str | None = None) -> FileResult:
    """Register what one file describes; `Invalid` when the file cannot be read."""
    result, graphs = read_file(data, filename)
    if not result.ok:
        raise Invalid(f"{result.path}: {result.error}")
    registry.store.put_graphs(graphs)
    return result


def import_dir(registry, path: str | Path,
               progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Register every device file below `path`; one result per file, in path order."""
    root = Path(path)
    if not root.is_dir():
        raise NotFound(f"no directory {path}")
    results: list[FileResult] = []
    pending: list[tuple[FileResult, dict[str, GraphLike]]] = []
    for file in iter_files(root):
        try:
            data = file.read_bytes()
        except OSError as exc:
            result, graphs = FileResult(path=str(file), error=f"cannot read: {exc.strerror}"), {}
        else:
            result, graphs = read_file(data, str(file))
        if graphs:
            pending.append((result, graphs))
        if sum(len(g) for _, g in pending) >= _BATCH:
            _store(registry, pending)
            pending = []
        results.append(result)
        if progress is not None:
            progress(result)
    _store(registry, pending)
    return results


def _store(registry, pending: list[tuple[FileResult, dict[str, GraphLike]]]) -> None:
    """Write a batch; if the store refuses it, write file by file to find the one at fault."""
    if not pending:
        return
    try:
        registry.store.bulk_load(item for _, graphs in pending for item in graphs.items())
    except Invalid:
        for result, graphs in pending:
            try:
                registry.store.put_graphs(graphs)
            except Invalid as exc:
                result.error = f"the store refused it: {exc.detail}"
                result.devices, result.models = [], []


def iter_files(root: Path) -> Iterator[Path]:
    for file in sorted(root.rglob("*")):
        if file.is_file() and file.suffix.lower() in SUFFIXES and not any(
                part.startswith(".") for part in file.relative_to(root).parts):
            yield file


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


__all__ = ["FileResult", "add_device", "import_dir", "iter_files", "list_devices",
           "load_catalog", "read_file", "show_device"]
