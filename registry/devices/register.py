"""Devices into the store: one file, a directory of files, and reading them back.

Every device is one named graph written whole, so an import that fails half way leaves
each device either as it was or as the file says, never half of one. A directory import
reports every file; a bad file does not stop it (`bulk` has how a fleet gets in fast).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import rdflib

from ..errors import Conflict, Invalid, NotFound
from ..validation import validate
from ..vocab import PREFIXES
from .bulk import import_files
from .catalog import iter_catalog
from .files import FileResult, iter_files, iter_paths, read_file, read_judged, union
from ..references import resolve_device
from .identity import Claims, renamed
from .rows import device_rows

if TYPE_CHECKING:
    from ..core import Registry


def add_device(registry: Registry, data: bytes, filename: str | None = None) -> FileResult:
    """Register what one file describes; `Invalid` when the file cannot be read or a
    device it describes breaks the description shapes, `Conflict` when a device's
    identifier is another source's device (identity.py); nothing is stored then.

    The file is read and judged as an import reads each of its files (`read_judged`);
    shape warnings are kept in the result's warnings.
    """
    result, graphs = read_judged(data, filename)
    try:
        if not result.ok:
            raise Invalid(result.error, **result.details)
        moves = Claims.of(registry.store, [result]).place(result.devices, result.sources)
        if moves:
            graphs = dict(renamed(graphs.items(), moves))
            result.devices = [moves.get(iri, iri) for iri in result.devices]
    except (Invalid, Conflict) as exc:  # said of the file, whichever step refused it
        raise type(exc)(f"{result.path}: {exc.detail}", **exc.extra) from None
    registry.store.put_graphs(graphs)
    return result


def import_dir(registry: Registry, path: str | Path,
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
    return import_paths(registry, list(iter_paths(str(root))), progress, workers)


def import_paths(registry: Registry, paths: list[str],
                 progress: Callable[[FileResult], None] | None = None,
                 workers: int | None = None) -> list[FileResult]:
    """`import_dir` for files already listed (`iter_paths`), e.g. to size a progress bar."""
    return import_files(registry.store, paths, progress, workers)


def load_catalog(registry: Registry) -> int:
    """Put the bundled board catalog in the store (the demo data), judged by the description
    shapes like any device file."""
    records = list(iter_catalog())
    validate(union(r.ntriples() for r in records), "device")
    iris, sources = [r.iri for r in records], [r.source for r in records]
    Claims(registry.store, sources, iris).place(iris, sources)  # Conflict: another's identifier
    return registry.store.bulk_load((r.iri, r.ntriples()) for r in records)


def list_devices(registry: Registry) -> list[dict]:
    """One row per device, by identifier: name, kind, usable RAM and flash bytes, core, source
    format and why it is incomplete, if it is (rows.py; kept up to date from the change
    log rather than read whole after each write)."""
    return list(device_rows(registry).rows)


def show_device(registry: Registry, ref: str) -> rdflib.Graph:
    """The device's graph, by its IRI, its identifier or its source's id."""
    graph = registry.store.get_graph(resolve_device(registry, ref))
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


__all__ = ["FileResult", "add_device", "import_dir", "import_paths", "iter_files", "iter_paths",
           "list_devices", "load_catalog", "read_file", "show_device"]
