"""A directory of device files into the store: worker processes read, a thread writes.

Reading a fleet is CPU-bound parsing, so files are read by one worker process per CPU, in
chunks, a bounded number of chunks ahead. The files read are gathered into batches; a
thread writes one while the next is gathered (the store lets go of the GIL):

- On the embedded store, a batch's new devices go through Oxigraph's bulk loader
  (`EmbeddedStore.load_new_graphs`), several times faster than a transaction, and undone
  if the load fails or is interrupted. A file whose device exists already, that names a
  device a file before it in the batch named, or that holds other graphs (the prototype's
  model versions) is written after the load, in a transaction, so a later file still wins.
- On any other store, a batch goes to `bulk_load`.

Either way, a batch the store refuses is written again file by file, so only the files at
fault fail, and a device is written whole or not at all. Before a batch is written, its
devices are placed by their sources (identity.py): a file whose device would take another
source's device fails with that conflict.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from ..errors import Conflict, Invalid
from ..store import EmbeddedStore, Store
from .files import FileResult, read_judged
from .identity import Claims, renamed

BATCH = 2_500  # graphs per write: the bulk loader holds ~35 KB a graph while it loads. Over
# 100,000 devices, batches of 2,500, 5,000 and 10,000 took the same time within the noise of
# a 2-core machine (42-50 s) with a peak of 366, 424 and 586 MiB; 1,000 took 50.9 s
_CHUNK = 250  # files a worker reads per task
_AHEAD = 8  # chunks read ahead per worker, waiting to be gathered
_IN_PROCESS = 500  # fewer files than this are read here: starting workers costs more
_TRANSACTION = 500  # files per transaction, for devices that are replaced

# One file read: its result, its devices' own N-Triples (blank node labels unique to each
# graph), and any other graphs as N-Triples.
Read = tuple[FileResult, list[tuple[str, str]], list[tuple[str, str]]]


def import_files(store: Store, files: list[str],
                 progress: Callable[[FileResult], None] | None = None,
                 workers: int | None = None) -> list[FileResult]:
    """Register `files`; one result per file, in order (see `register.import_dir`). Each
    file is read and judged by the description shapes as `register.add_device` reads one
    (`files.read_judged`), in the worker that reads it."""
    results: list[FileResult] = []
    with _Writer(store) as writer:
        for read in _read_all(files, workers):
            results.append(read[0])
            if progress is not None:
                progress(read[0])
            writer.add(read)
    return results


def _read_all(files: list[str], workers: int | None) -> Iterator[Read]:
    """Each file read, in order; by worker processes when there are enough files."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 2 or len(files) < _IN_PROCESS:
        yield from map(read_path, files)
        return
    chunks = (files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK))
    # fork starts a worker at once, with the contexts this process compiled; spawn elsewhere.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(count) as pool:
        pending = deque(pool.apply_async(_read_paths, (chunk,))
                        for chunk in islice(chunks, _AHEAD * count))
        while pending:
            done = pending.popleft().get()
            for chunk in islice(chunks, 1):
                pending.append(pool.apply_async(_read_paths, (chunk,)))
            yield from done


def _read_paths(paths: list[str]) -> list[Read]:
    return [read_path(path) for path in paths]


def read_path(path: str) -> Read:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileResult(path=path, error=f"cannot read: {exc.strerror}"), [], []
    result, graphs = read_judged(data, path)
    own = [(name, g) for name, g in graphs.items() if isinstance(g, str)]
    other = [(name, g.serialize(format="nt")) for name, g in graphs.items()
             if not isinstance(g, str)]
    return result, own, other


class _Writer:
    """Gathers files read into batches and writes each in a thread while the next one is
    gathered (the store lets go of the GIL), so memory holds two batches at most."""

    def __init__(self, store: Store):
        self.store = store
        self.batch: list[Read] = []
        self.size = 0
        # Started per batch, so none exists when the reading processes are forked (a fork
        # copies no thread, but would copy a lock one held).
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None:  # stop, but let the batch being written finish whole
            if self.thread is not None:
                self.thread.join()
            return
        if self.batch:
            self._hand_over()
        self._wait()

    def add(self, read: Read) -> None:
        _, own, other = read
        if own or other:
            self.batch.append(read)
            self.size += len(own) + len(other)
            if self.size >= BATCH:
                self._hand_over()

    def _hand_over(self) -> None:
        self._wait()
        self.thread = threading.Thread(target=self._write, args=(self.batch,),
                                       name="device-import-writer", daemon=True)
        self.thread.start()
        self.batch, self.size = [], 0

    def _wait(self) -> None:
        """Until the batch being written is written; its failure is raised here."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            raise self.failure

    def _write(self, batch: list[Read]) -> None:
        try:
            write_batch(self.store, batch)
        except BaseException as exc:  # raised in the importing thread by _wait
            self.failure = exc


def write_batch(store: Store, files: list[Read]) -> None:
    """Write the graphs of `files`; a file the store refuses gets the error in its result."""
    files, present = _placed(store, files)
    if not isinstance(store, EmbeddedStore):
        _write(store, files, lambda graphs: store.bulk_load(graphs.items()))
        return
    new, held, claimed = [], [], set()
    for read in files:
        _, own, other = read
        names = [name for name, _ in own + other]
        # a file of devices alone (no `other`): the claims know which are in the store
        if other or any(name in claimed or name in present for name in names):
            held.append(read)
        else:
            new.append(read)
        claimed.update(names)
    _write(store, new, lambda graphs: store.load_new_graphs(list(graphs.items())))
    # Replacements are SPARQL updates, whose text and transaction the store holds whole,
    # and whose writes stay in memory until flushed: a few files at a time keep both small.
    # A file stays in one transaction.
    for start in range(0, len(held), _TRANSACTION):
        _write(store, held[start:start + _TRANSACTION], store.put_graphs)
        store.flush()


def _placed(store: Store, files: list[Read]) -> tuple[list[Read], set[str] | None]:
    """The files whose devices are theirs to write, each under the IRI it goes to, and (on
    the embedded store) which of those IRIs the store holds already."""
    claims = Claims.of(store, (result for result, _, _ in files))
    out = []
    for result, own, other in files:
        try:
            moves = claims.place(result.devices, result.sources)
        except Conflict as exc:
            result.refuse(exc.detail)
            continue
        if moves:
            own, other = list(renamed(own, moves)), list(renamed(other, moves))
            result.devices = [moves.get(iri, iri) for iri in result.devices]
        out.append((result, own, other))
    return out, claims.present


def _write(store: Store, files: list[Read], write) -> None:
    """All files' graphs in one write; if the store refuses it, file by file in transactions."""
    graphs: dict[str, str] = {}  # a later file naming a graph again wins
    for _, own, other in files:
        graphs.update(own + other)
    if not graphs:
        return
    try:
        write(graphs)
    except Invalid:
        for result, own, other in files:
            try:
                store.put_graphs(dict(own + other))
            except Invalid as exc:
                result.refuse(f"the store refused it: {exc.detail}")
