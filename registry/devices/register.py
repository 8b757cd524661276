"""Devices into the store: one file, a directory of files, and reading them back.

Every device is one named graph written whole, so an import that fails half way leaves
each device either as it was or as the file says, never half of one. A directory import
reports every file; a bad file does not stop it (`bulk` has how a fleet gets in fast).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import rdflib

from ..errors import Conflict, Invalid, NotFound
from ..store.base import to_ntriples
from ..validation import validate
from ..vocab import PREFIXES, TR, local_name, prefixes
from .bulk import import_files
from .catalog import iter_catalog
from .files import FileResult, iter_files, iter_paths, read_file
from .identity import Claims, renamed, resolve_device


def add_device(registry, data: bytes, filename: str | None = None) -> FileResult:
    """Register what one file describes; `Invalid` when the file cannot be read or a
    device it describes breaks the description shapes, `Conflict` when a device's
    identifier is another source's device (identity.py); nothing is stored then.

    Shape warnings are kept in the result's warnings.
    """
    result, graphs = read_file(data, filename)
    try:
        if not result.ok:
            raise Invalid(result.error)
        moves = Claims.of(registry.store, [result]).place(result.devices, result.sources)
        if moves:
            graphs = dict(renamed(graphs.items(), moves))
            result.devices = [moves.get(iri, iri) for iri in result.devices]
        # One shapes run a kind: a catalog's boards are checked together (their graphs share
        # no node), where a run each cost ~20 ms of pySHACL set-up a board.
        for kind, names in (("device", result.devices), ("model", result.models)):
            if names:
                report = validate(_union(graphs[name] for name in dict.fromkeys(names)), kind)
                result.warnings.extend(w.message for w in report.warnings)
    except (Invalid, Conflict) as exc:  # said of the file, whichever step refused it
        raise type(exc)(f"{result.path}: {exc.detail}", **exc.extra) from None
    registry.store.put_graphs(graphs)
    return result


def _union(graphs) -> str:
    """Graphs as one N-Triples text: their blank nodes are each graph's own (`nt.blank`,
    rdflib's), so the union keeps them apart."""
    return "".join(to_ntriples(graph, validate=False) for graph in graphs)


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
    return import_paths(registry, list(iter_paths(str(root))), progress, workers)


def import_paths(registry, paths: list[str],
                 progress: Callable[[FileResult], None] | None = None,
                 workers: int | None = None) -> list[FileResult]:
    """`import_dir` for files already listed (`iter_paths`), e.g. to size a progress bar."""
    return import_files(registry.store, paths, progress, workers)


def load_catalog(registry) -> int:
    """Put the bundled board catalog in the store (the demo data)."""
    records = list(iter_catalog())
    iris, sources = [r.iri for r in records], [r.source for r in records]
    Claims(registry.store, sources, iris).place(iris, sources)  # Conflict: another's identifier
    return registry.store.bulk_load((r.iri, r.ntriples()) for r in records)


# Each fact of each device as a row of its own, gathered here: listing 100,000 devices took
# 16.6 s when Oxigraph joined, grouped and ordered the same patterns, and takes 6.6 s so.
_FACTS = prefixes("tr", "schema") + """
SELECT ?device ?fact ?value
WHERE {
  GRAPH ?device {
    { ?device a ?value . VALUES ?value { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device }
      BIND(0 AS ?fact) }
    UNION { ?device schema:identifier ?value BIND(1 AS ?fact) }
    UNION { ?device schema:name ?value BIND(2 AS ?fact) }
    UNION { ?device tr:sourceFormat ?value BIND(3 AS ?fact) }
    UNION { ?device tr:ramBytes ?value BIND(4 AS ?fact) }
    UNION { ?device tr:flashBytes ?value BIND(5 AS ?fact) }
    UNION { ?device tr:hasProcessor ?processor . ?processor tr:core ?value BIND(6 AS ?fact) }
    UNION { ?device tr:incomplete ?value BIND(7 AS ?fact) }
  }
}
"""
_KIND, _ID, _NAME, _FORMAT, _RAM, _FLASH, _CORE, _INCOMPLETE = range(8)
_SPECIFIC = {f"{TR}MicrocontrollerBoard": 0, f"{TR}LinuxDevice": 0, f"{TR}Device": 1}


def list_devices(registry) -> list[dict]:
    """One row per device, by identifier: name, kind, RAM and flash bytes, core, source
    format and why it is incomplete, if it is. A device is a graph that states its kind,
    identifier, name and format; where it states a fact twice, the row shows the most
    specific kind, the smaller figure and the first core by name."""
    table = registry.store.table(_FACTS)
    facts: dict[str, list] = {}
    for iri, fact, value in zip(*(table.values(name) for name in ("device", "fact", "value"))):
        held = facts.get(iri)
        if held is None:
            held = facts[iri] = [None] * 7 + [set()]
        if fact == _INCOMPLETE:
            held[fact].add(str(value))
        elif held[fact] is None or _preferred(fact, value, held[fact]):
            held[fact] = value
    rows = [{"id": str(f[_ID]), "name": str(f[_NAME]), "kind": local_name(f[_KIND]),
             "ram": _int(f[_RAM]), "flash": _int(f[_FLASH]), "core": local_name(f[_CORE]),
             "format": str(f[_FORMAT]), "incomplete": "; ".join(sorted(f[_INCOMPLETE])) or None,
             "iri": iri}
            for iri, f in facts.items()
            if None not in (f[_KIND], f[_ID], f[_NAME], f[_FORMAT])]
    rows.sort(key=lambda row: (row["id"], row["iri"]))
    return rows


def _preferred(fact: int, new, held) -> bool:
    if fact == _KIND:
        return _SPECIFIC[new] < _SPECIFIC[held]
    if fact in (_RAM, _FLASH):
        return _int(new) < _int(held)
    return str(new) < str(held)


def show_device(registry, ref: str) -> rdflib.Graph:
    """The device's graph, by its IRI, its identifier or its source's id."""
    graph = registry.store.get_graph(resolve_device(registry, ref))
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _int(term) -> int | None:
    return int(str(term)) if term is not None else None


__all__ = ["FileResult", "add_device", "import_dir", "import_paths", "iter_files", "iter_paths",
           "list_devices", "load_catalog", "read_file", "show_device"]
