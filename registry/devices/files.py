"""Device files: which ones a directory holds, and what one of them describes."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import Invalid
from ..intake.results import FileResult
from ..store import GraphLike
from ..store.base import to_ntriples
from ..validation import validate
from . import device_record, parse_prototype
from .catalog import records_from_catalog
from .detect import detect

# Files a directory import looks at; others (READMEs, licences) are skipped without a word.
SUFFIXES = (".json", ".jsonld", ".yaml", ".yml", ".ttl")


def read_file(data: bytes, filename: str | None) -> tuple[FileResult, dict[str, GraphLike]]:
    """The graphs one file holds (devices, and models for the prototype's Turtle).

    A device's graph is its own N-Triples text (`DeviceRecord.graph_like`); anything else
    is an rdflib Graph.
    """
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
        for record in records:
            graph = record.graph_like()
            if isinstance(graph, str) and not graph.isascii():
                _check_unicode(graph)
            graphs[record.iri] = graph
    except Invalid as exc:
        result.refuse(exc.detail)
        return result, {}
    for record in records:
        result.devices.append(record.iri)
        result.sources.append(record.source)
        result.warnings.extend(record.warnings)
    for model in models:
        graphs[model.iri] = model.graph
        result.models.append(model.iri)
    return result, graphs


def _check_unicode(text: str) -> None:
    # JSON may escape half of a surrogate pair ("\ud800"), which no store can write.
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise Invalid(f"a text holds {exc.object[exc.start:exc.end]!r}, half of a UTF-16 "
                      "surrogate pair, which is not a character") from None


def read_judged(data: bytes, filename: str | None) -> tuple[FileResult, dict[str, GraphLike]]:
    """`read_file`, then the description shapes (validation.py) on what the file describes:
    a file whose device or model breaks a shape is refused (no graphs), its warnings kept.
    Every way in reads a device file so: add, import, the API and the dashboard's form."""
    result, graphs = read_file(data, filename)
    if not result.ok:
        return result, graphs
    try:
        for kind, names in (("device", result.devices), ("model", result.models)):
            if names:
                # One judgement of a file's graphs of a kind together (a catalog's boards):
                # their blank nodes are each graph's own, so the union keeps them apart.
                report = validate(union(graphs[name] for name in dict.fromkeys(names)), kind)
                result.warnings.extend(w.message for w in report.warnings)
    except Invalid as exc:
        result.refuse(exc.detail, **exc.extra)
        return result, {}
    return result, graphs


def union(graphs) -> str:
    """Graphs as one N-Triples text (see `read_judged`)."""
    return "".join(to_ntriples(graph, validate=False) for graph in graphs)


def iter_files(root: Path) -> Iterator[Path]:
    """The device files below `root`, in the order of their sorted paths; hidden files and
    folders are left out, and symbolic links to folders are not followed."""
    return map(Path, iter_paths(str(root)))


def iter_paths(root: str) -> Iterator[str]:
    """`iter_files` as strings. A fleet is 100,000 files: scanning each folder once, with
    no path objects, costs a tenth of what globbing and asking each path its type did."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except (NotADirectoryError, PermissionError):  # as globbing did: nothing to read there
        return
    for entry in entries:
        if entry.name[0] == ".":
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from iter_paths(entry.path)
        elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in SUFFIXES:
            yield entry.path
