"""New graphs streamed into Oxigraph's bulk loader as an importer reads them.

The loader is fastest given one long input, which it parses in a thread of its own while
earlier quads are sorted into files; called once per small batch it did the same work
twice as slowly, and each load RocksDB later compacted cost disk. So an import writes its
graphs' text into a named pipe that the loader reads as a file: the loader reads without
Python's lock, while the importer goes on reading files.

The loader keeps up to 1,000,000 quads of a load in memory, twice over while it sorts one
batch and parses the next (pyoxigraph exposes no bound): 1.76 GiB for 3.8M quads. A load
of fewer quads is one batch, so an import ends each load after `QUADS` quads and starts
another: 0.64 GiB for 767,000 quads in one load.

A load is not a transaction, so the names of its graphs are written to a file beside the
store before their text reaches the pipe (and synced to disk before the loader can take a
batch in), and every run of an import is counted as one write at the end, with a marker in
the meta graph that says the import is whole. Opening the store drops the graphs a file
names unless the marker is there: a run that fails leaves none of its graphs, and those of
an import cut short (the process killed) are dropped when the store is next opened
(`EmbeddedStore._drop_interrupted_loads`). Nothing goes into the meta graph between runs:
each such write made RocksDB merge the loader's files.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pyoxigraph as ox

from ..errors import Invalid
from ..vocab import META_GRAPH
from .base import check_graph_name, revision_update_text, to_ntriples

if TYPE_CHECKING:
    from .embedded import EmbeddedStore

log = logging.getLogger(__name__)

# Where stores written before the names went to a file kept them: in the meta graph,
# <urn:tinyreg:bulk-load:ID> <urn:tinyreg:loading> "graph\ngraph..."; still honoured on open.
LOADING = "urn:tinyreg:loading"
# Since a bulk load stopped writing to the meta graph while it runs, a file in the store's
# folder holds the names instead (a write there made RocksDB compact every run's files);
# the marker says, until the file is gone, that the load was counted and is whole.
RECORDS = "tinyreg-loading-"
PIPE = "tinyreg-pipe-"  # the named pipe, in the store's folder
LOADED = "urn:tinyreg:loaded"
_LOADER_BATCH = 900_000  # quads: the loader writes a batch of 1,000,000 while it reads on
QUADS = 600_000  # a load's quads at most, see above (one loader batch, ~0.55 GiB)
_PIPE_BYTES = 1 << 20  # the pipe's buffer: fewer switches between the importer and loader


def trig(graphs: Sequence[tuple[str, str]]) -> bytes:
    """The graphs as TriG (names were checked by `check_graph_name`): N-Triples text in
    which no blank node label appears in two graphs, since the loader reads all of it as
    one document (where a label names one node)."""
    blocks = []
    for name, text in graphs:
        data = text.encode()
        if b"}" in data:  # only inside a literal, or the text could close its graph
            to_ntriples(text)
        blocks.append(b"<" + name.encode() + b"> {\n" + data + b"\n}\n")
    return b"".join(blocks)


class NewGraphs:
    """Graphs that do not exist yet, loaded by Oxigraph's bulk loader as `add` gives them.
    A run of the loader reads until `cut`; `finish` ends the last run and counts all of
    them as one write; `abort` undoes them all. The store's write lock is held while a run
    reads (between runs, other writes go in as usual)."""

    def __init__(self, store: EmbeddedStore):
        self.store = store
        self.id = uuid.uuid4().hex
        self.names: list[str] = []  # the graphs of the runs that have ended
        self.running: set[str] = set()  # the graphs of the run reading now
        self.quads = 0  # of the run reading now
        self._records: Any = None  # the file of the names, for a store on disk
        self._pipe: int | None = None  # the writing end
        self._folder: str | None = None  # the pipe's, for a store in memory
        self._pipe_path: str | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._before: set = set()
        self._locked = False

    @property
    def reading(self) -> bool:
        """Whether a run of the loader is reading (and holds the store's write lock)."""
        return self._thread is not None

    def add(self, graphs: Sequence[tuple[str, str]]) -> None:
        """Load these graphs (N-Triples text, with their entailments added here). `Invalid`
        when a name exists or comes twice, before any of them is written; when the loader
        has refused what it read, `Invalid` too, and the run is undone (`cut`)."""
        names = [check_graph_name(name) for name, _ in graphs]
        if len(set(names)) != len(names) or not self.running.isdisjoint(names):
            raise Invalid("not new graphs: a name is given twice")
        if self._thread is None:
            self._start()
        if self._pipe is None:  # the loader failed before it read anything
            self.cut()
        ox_store = self.store.oxigraph
        taken = next((name for name in names if ox_store.contains_named_graph(ox.NamedNode(name))),
                     None)
        if taken is not None:
            raise Invalid(f"not a new graph: {taken} exists")
        if not names:
            return
        data = trig([(name, self.store.entailed(name, text)) for name, text in graphs])
        self._record(names)
        self.running.update(names)
        self.quads += data.count(b"\n") - 3 * len(names)
        if self.quads >= _LOADER_BATCH:  # the loader may take in a batch before the run ends
            self._sync()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._pipe, view):]
        except BrokenPipeError:  # the loader stopped reading: its error says why
            self.cut()

    def cut(self) -> None:
        """End the run reading now: its graphs are in the store when this returns. If the
        loader failed, its graphs are dropped and why it failed is raised."""
        if self._thread is None:
            return
        self._sync()
        self._end_input()
        try:
            if self._failure is not None:
                self._undo(sorted(self.running))
                self._raise(self._failure)
            self.names += sorted(self.running)
        finally:
            self._release()

    def finish(self) -> list[str]:
        """End the last run and count every run as one write; the graphs' names."""
        self.cut()
        names = self.names
        if names:
            marker = f"<urn:tinyreg:bulk-load:{self.id}> <{LOADED}> true"
            with self.store._disk():
                self.store.oxigraph.update(f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {marker} }} }} ;\n"
                                           + revision_update_text(graphs=names))
            self._forget()  # the marker: the write is whole, even if the file stays (a crash)
            with self.store._disk():
                self.store.oxigraph.update(f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ {marker} }} }}")
        self._forget()
        self.names = []
        return names

    def abort(self) -> None:
        """Undo every run (their files, their graphs) and raise why the loader failed, if it
        did."""
        failure = self._failure
        if self._thread is not None:
            self._end_input()
            failure = failure or self._failure
        try:
            self._undo(self.names + sorted(self.running))
            self._forget()
        finally:
            self.names = []
            self._release()
        if failure is not None:
            self._raise(failure)

    def __enter__(self) -> "NewGraphs":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.finish()
            return
        self._failure = self._failure or exc
        try:
            self.abort()
        except BaseException:
            pass  # the error that stopped the block is the one to see

    # ---- the names, recorded before their text is loaded
    def _record(self, names: list[str]) -> None:
        if self.store.path is None:  # a store in memory does not outlive the process
            return
        with self.store._disk():
            if self._records is None:
                self._records = open(self.store.path / f"{RECORDS}{self.id}", "a", encoding="utf-8")
            self._records.write("".join(name + "\n" for name in names))

    def _sync(self) -> None:
        if self._records is not None:
            with self.store._disk():
                self._records.flush()
                os.fsync(self._records.fileno())

    def _forget(self) -> None:
        if self._records is not None:
            self._records.close()
            self._records = None
            Path(self.store.path / f"{RECORDS}{self.id}").unlink(missing_ok=True)

    def _undo(self, names: list[str]) -> None:
        try:
            self.store._remove_bulk_files(self._before)
            if names:
                self.store._drop_load(names)
        except OSError:  # the disk is full: opening the store next drops them
            log.warning("could not undo a failed bulk load yet; the store drops its %d "
                        "graphs when it is next opened", len(names))
        self.running, self.quads = set(), 0

    def _raise(self, failure: BaseException) -> None:
        self._failure = None
        if isinstance(failure, SyntaxError):
            raise Invalid(f"could not write the graphs: {failure}") from failure
        with self.store._disk():
            raise failure

    # ---- the pipe and the loader's thread
    def _start(self) -> None:
        self.store._writing.acquire()
        self._locked = True
        try:
            if self.store.path is not None:  # where opening the store clears what is left
                path = self._pipe_path = str(self.store.path / f"{PIPE}{self.id}")
            else:
                self._folder = tempfile.mkdtemp(prefix="tinyreg-load-")
                path = os.path.join(self._folder, "graphs.trig")
            os.mkfifo(path)
            self._before = self.store._bulk_files()
            if not self.names and self.store._small():
                # The registry's own graphs, written by transactions, sit in RocksDB's top
                # level; a loader's file overlapping them goes there too, and two files
                # there make RocksDB merge them into a level Oxigraph leaves uncompressed.
                # Compacted first (a fraction of a second while the store is small), they
                # lie below the loader's files.
                self.store.oxigraph.optimize()
            self._thread = threading.Thread(target=self._load, args=(path,), daemon=True,
                                            name="bulk-load")
            self._thread.start()
            self._pipe = self._open(path)
        except BaseException:
            self._end_input()
            self._release()
            raise

    def _load(self, path: str) -> None:
        try:
            self.store.oxigraph.bulk_load(path=path, format=ox.RdfFormat.TRIG)
        except BaseException as exc:  # raised in the importing thread by finish or add
            self._failure = exc

    def _open(self, path: str) -> int | None:
        """The pipe's writing end, once the loader has opened it to read; None if it failed."""
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                if not self._thread.is_alive():
                    return None
                time.sleep(0.001)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except (OSError, AttributeError):  # a smaller pipe works, with more switches
            pass
        return fd

    def _end_input(self) -> None:
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._thread is not None:
            self._thread.join()

    def _release(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        if self._pipe_path is not None:
            Path(self._pipe_path).unlink(missing_ok=True)
            self._pipe_path = None
        self._thread = None
        self.running, self.quads = set(), 0
        if self._locked:
            self._locked = False
            self.store._writing.release()
