"""A directory of device files into the store: worker processes read, the store writes.

Reading a fleet is CPU-bound parsing, so files are read by one worker process per CPU, in
chunks, a bounded number of chunks ahead; the workers also add each graph's entailments.

- On the embedded store, new devices stream into Oxigraph's bulk loader (store/loading.py)
  while the next files are read: one load for up to `loading.QUADS` quads, not one per
  batch. A file whose device exists already, that names a device a file before it named,
  or that holds other graphs (the prototype's model versions) is held and written after
  the load, in a transaction, so a later file still wins. A load the store refuses is
  undone whole, and its files are read again and written one by one.
- On any other store, batches of `BATCH` graphs go to `bulk_load`, each written in a thread
  while the next is gathered; a batch the store refuses is written again file by file.

Either way only the files at fault fail, and a device is written whole or not at all.
Before devices are written, they are placed by their sources (identity.py): a file whose
device would take another source's device fails with that conflict.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections import ChainMap, deque
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from itertools import islice

from ..entailment import Closure, entailed
from ..errors import Conflict, Invalid
from ..store import EmbeddedStore, Store
from ..store.loading import QUADS
from .files import FileResult, read_judged
from .identity import Claims, renamed

BATCH = 2_500  # graphs per write on a store other than the embedded one
_GROUP = 500  # files placed (identity.py) together before the embedded store loads them
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
    with (_Streamed(store) if isinstance(store, EmbeddedStore) else _Writer(store)) as writer:
        for read in _read_all(files, workers, store.entailment):
            results.append(read[0])
            if progress is not None:
                progress(read[0])
            writer.add(read)
    return results


def _read_all(files: list[str], workers: int | None, closure: Closure | None) -> Iterator[Read]:
    """Each file read, in order; by worker processes when there are enough files."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 2 or len(files) < _IN_PROCESS:
        yield from (read_path(path, closure) for path in files)
        return
    chunks = (files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK))
    # fork starts a worker at once, with the contexts this process compiled; spawn elsewhere.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(count, initializer=_entailing, initargs=(closure,)) as pool:
        pending = deque(pool.apply_async(_read_paths, (chunk,))
                        for chunk in islice(chunks, _AHEAD * count))
        while pending:
            done = pending.popleft().get()
            for chunk in islice(chunks, 1):
                pending.append(pool.apply_async(_read_paths, (chunk,)))
            yield from done


_CLOSURE: Closure | None = None  # in a reading worker: the entailments to add


def _entailing(closure: Closure | None) -> None:
    global _CLOSURE
    _CLOSURE = closure


def _read_paths(paths: list[str]) -> list[Read]:
    return [read_path(path, _CLOSURE) for path in paths]


def read_path(path: str, closure: Closure | None = None) -> Read:
    """One file read, its graphs as N-Triples with the entailments of `closure` added."""
    try:
        with open(path, "rb") as file:  # not pathlib: its objects cost a tenth of a small file's read
            data = file.read()
    except OSError as exc:
        return FileResult(path=path, error=f"cannot read: {exc.strerror}"), [], []
    result, graphs = read_judged(data, path)
    own = [(name, entailed(closure, name, g)) for name, g in graphs.items() if isinstance(g, str)]
    other = [(name, entailed(closure, name, g.serialize(format="nt")))
             for name, g in graphs.items() if not isinstance(g, str)]
    return result, own, other


@dataclass
class _Run:
    """The files of one run of the loader (store/loading.py), while it is not yet in the
    store: their results, their graphs' names, and the devices they placed (identity.py)."""
    files: list[FileResult] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    taken: dict[str, str] = field(default_factory=dict)


class _Streamed:
    """The embedded store's writer (see the module's text): files are placed a group at a
    time, and their new devices' text goes to the running load at once. A load that has
    read `QUADS` quads is handed to the loader to take in while the next one reads."""

    def __init__(self, store: EmbeddedStore):
        self.store = store
        self.load = store.new_graphs()
        self.group: list[Read] = []
        self.held: list[Read] = []
        self.held_names: set[str] = set()
        self.reading = _Run()  # the files of the run the loader reads
        self.saving = _Run()  # those of the run before it, which it may be taking in

    def __enter__(self) -> "_Streamed":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is not None:  # stop: what was loaded is undone, nothing more written
            self.load.__exit__(kind, exc, tb)
            return
        try:
            self._place()
            self._settle()
            self._write_held()
            self.load.finish()
        except BaseException as failure:  # the last run failed (a full disk): undone too
            self.load.__exit__(type(failure), failure, failure.__traceback__)
            raise

    def add(self, read: Read) -> None:
        if read[1] or read[2]:
            self.group.append(read)
            if len(self.group) >= _GROUP:
                self._place()

    def _place(self) -> None:
        files, present = _placed(self.store, self.group,
                                 ChainMap(self.reading.taken, self.saving.taken))
        self.group = []
        new: list[Read] = []
        for read in files:
            _, own, other = read
            names = [name for name, _ in own + other]
            # a file of devices alone (no `other`): the claims know which are in the store
            if other or any(self._claimed(name) or name in present for name in names):
                self.held.append(read)
                self.held_names.update(names)
            else:
                new.append(read)
                self.reading.names.update(names)
        if new:
            try:
                self.load.add([graph for _, own, _ in new for graph in own])
                self.reading.files += [result for result, _, _ in new]
            except Invalid:
                refused = [result for result, _, _ in new]
                if self.load.reading:  # only these were refused, before any was sent
                    self._settle()
                    self._one_by_one(refused)
                else:  # the runs not in the store were undone: their files go one by one
                    self._one_by_one(self.saving.files + self.reading.files + refused)
        if len(self.held) >= _TRANSACTION:
            self._settle()
            self._write_held()
        elif self.load.quads >= QUADS:
            self._hand_over()

    def _claimed(self, name: str) -> bool:
        """Whether a file placed before in this import, not yet in the store, has it."""
        return name in self.reading.names or name in self.saving.names or name in self.held_names

    def _hand_over(self) -> None:
        try:
            self.load.cut()
        except Invalid:
            self._one_by_one(self.saving.files + self.reading.files)
            return
        # the run before the saving one is in the store now, where the claims look
        _written(self.saving.files)
        self.saving, self.reading = self.reading, _Run()

    def _settle(self) -> None:
        try:
            self.load.settle()
        except Invalid:
            self._one_by_one(self.saving.files + self.reading.files)
        _written(self.saving.files + self.reading.files)
        self.saving, self.reading = _Run(), _Run()

    def _write_held(self) -> None:
        # Replacements are SPARQL updates, whose text and transaction the store holds whole,
        # and whose writes stay in memory until flushed: a few files at a time keep both
        # small. A file stays in one transaction.
        for start in range(0, len(self.held), _TRANSACTION):
            _write(self.store, self.held[start:start + _TRANSACTION], self.store.put_graphs)
            self.store.flush()
        _written([result for result, _, _ in self.held])
        self.held = []
        self.held_names = set()

    def _one_by_one(self, results: list[FileResult]) -> None:
        """The files of a load the store refused, read again and written one at a time, so
        only those at fault fail (with the store's reason)."""
        self.saving, self.reading = _Run(), _Run()
        for result in results:
            read = read_path(result.path, self.store.entailment)
            placed, _ = _placed(self.store, [read])
            for again, own, other in placed:
                try:
                    self.store.put_graphs(dict(own + other))
                except Invalid as exc:
                    again.refuse(f"the store refused it: {exc.detail}")
                else:
                    result.devices = again.devices
            if not read[0].ok:
                result.refuse(read[0].error, **read[0].details)


def _written(results: list[FileResult]) -> None:
    for result in results:
        result.written()


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
    """Write the graphs of `files` to a store other than the embedded one; a file the store
    refuses gets the error in its result."""
    files, _ = _placed(store, files)
    _write(store, files, lambda graphs: store.bulk_load(graphs.items()))


def _placed(store: Store, files: list[Read], taken: MutableMapping[str, str] | None = None
            ) -> tuple[list[Read], set[str] | None]:
    """The files whose devices are theirs to write, each under the IRI it goes to, and (on
    the embedded store) which of those IRIs the store holds already. `taken`: the devices
    placed before in this write and not yet in the store (kept up to date)."""
    claims = Claims.of(store, (result for result, _, _ in files), taken)
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
