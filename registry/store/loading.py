"""New graphs streamed into Oxigraph's bulk loader as an importer reads them.

The loader is fastest given one long input, which it parses in a thread of its own while
earlier quads are sorted into files; called once per small batch it did the same work
twice as slowly, and each load RocksDB later compacted cost disk. So an import writes its
graphs' text into a named pipe that the loader reads as a file: the loader reads without
Python's lock, while the importer goes on reading files.

The loader keeps up to 1,000,000 quads of a load in memory, twice over while it sorts one
batch and parses the next (pyoxigraph exposes no bound): 1.76 GiB for 3.8M quads. A load
of fewer quads is one batch, so an import ends each load (a run) after `QUADS` quads and
starts another. Once a run's input ends the loader still sorts, writes and hands its files
to RocksDB (seconds); the next run reads meanwhile, as the loader does with its own
batches, so the importer never waits for that (it did for over half of its time). Two runs
are in memory at a time: with runs of 400,000 quads an import of 300,000 devices peaked at
1,039 MiB, with 300,000 at 919 MiB (the bound asked is 1 GiB).

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
QUADS = 300_000  # a run's quads at most, see above (two in memory at a time)
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


class _Run:
    """One call of the loader, reading the graphs' text from a named pipe until its input
    ends, in a thread of its own (the loader lets go of Python's lock)."""

    def __init__(self, store: EmbeddedStore, path: str | None):
        self.store = store
        self.names: set[str] = set()
        self.quads = 0
        self.failure: BaseException | None = None
        self.before = store._bulk_files()  # the loader's files, to undo what it leaves
        self._folder: str | None = None  # the pipe's, for a store in memory
        if path is None:
            self._folder = tempfile.mkdtemp(prefix="tinyreg-load-")
            path = os.path.join(self._folder, "graphs.trig")
        self.path = path
        self.fd: int | None = None  # the writing end
        os.mkfifo(path)
        self.thread = threading.Thread(target=self._load, daemon=True, name="bulk-load")
        self.thread.start()
        self.fd = self._open()

    def write(self, data: bytes) -> None:
        """`BrokenPipeError` when the loader stopped reading (its failure says why)."""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def end_input(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def join(self) -> None:
        """Until the loader has taken the run in (or failed); then the pipe goes."""
        self.end_input()
        self.thread.join()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        else:
            Path(self.path).unlink(missing_ok=True)

    def _load(self) -> None:
        try:
            self.store.oxigraph.bulk_load(path=self.path, format=ox.RdfFormat.TRIG)
        except BaseException as exc:  # raised in the importing thread (NewGraphs._settle)
            self.failure = exc

    def _open(self) -> int | None:
        """The pipe's writing end, once the loader has opened it to read; None if it failed."""
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                if not self.thread.is_alive():
                    return None
                time.sleep(0.001)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except (OSError, AttributeError):  # a smaller pipe works, with more switches
            pass
        return fd


class NewGraphs:
    """Graphs that do not exist yet, loaded by Oxigraph's bulk loader as `add` gives them.
    A run of the loader reads until `cut`, which hands it over: the loader takes it in
    while the next run reads (at most two runs at a time). `settle` waits until every run
    is in the store; `finish` settles and counts all of them as one write; `abort` undoes
    them all. A run that fails undoes every run not yet taken in, and raises why. The
    store's write lock is held while a run reads or is being taken in (between, other
    writes go in as usual)."""

    def __init__(self, store: EmbeddedStore):
        self.store = store
        self.id = uuid.uuid4().hex
        self.names: list[str] = []  # the graphs of the runs in the store
        self._run: _Run | None = None  # reading
        self._saving: _Run | None = None  # its input ended, the loader may be taking it in
        self._runs = 0  # started: each has a pipe of its own
        self._records: Any = None  # the file of the names, for a store on disk
        self._failure: BaseException | None = None
        self._locked = False

    @property
    def reading(self) -> bool:
        """Whether a run of the loader is reading (and holds the store's write lock)."""
        return self._run is not None

    @property
    def quads(self) -> int:
        """Of the run reading now."""
        return self._run.quads if self._run is not None else 0

    def add(self, graphs: Sequence[tuple[str, str]]) -> None:
        """Load these graphs (N-Triples text, with their entailments added here). `Invalid`
        when a name exists or comes twice, before any of them is written; when the loader
        has refused what it read, `Invalid` too, and every run not yet in the store is
        undone."""
        names = [check_graph_name(name) for name, _ in graphs]
        loading = [run.names for run in (self._run, self._saving) if run is not None]
        if len(set(names)) != len(names) or any(not run.isdisjoint(names) for run in loading):
            raise Invalid("not new graphs: a name is given twice")
        if self._run is None:
            self._start()
        if self._run.fd is None:  # the loader failed before it read anything
            self._fail()
        ox_store = self.store.oxigraph
        taken = next((name for name in names if ox_store.contains_named_graph(ox.NamedNode(name))),
                     None)
        if taken is not None:
            raise Invalid(f"not a new graph: {taken} exists")
        if not names:
            return
        data = trig([(name, self.store.entailed(name, text)) for name, text in graphs])
        self._record(names)
        run = self._run
        run.names.update(names)
        run.quads += data.count(b"\n") - 3 * len(names)
        if run.quads >= _LOADER_BATCH:  # the loader may take in a batch before the run ends
            self._sync()
        try:
            run.write(data)
        except BrokenPipeError:  # the loader stopped reading: its error says why
            self._fail()

    def cut(self) -> None:
        """End the run reading now and hand it to the loader to take in, once the run
        before it is in the store. `Invalid` (or the loader's error) if one failed: then
        neither is in the store."""
        run = self._run
        if run is None:
            return
        self._sync()
        run.end_input()
        self._run = None
        saving, self._saving = self._saving, run
        if saving is not None:
            saving.join()
            if saving.failure is not None:
                self._saving = None
                run.join()
                self._settle([saving, run])
            self.names += sorted(saving.names)

    def settle(self) -> None:
        """Until every run is in the store (see `cut` for a failure)."""
        self._settle(self._end_runs())

    def finish(self) -> list[str]:
        """Settle the runs and count all of them as one write; the graphs' names."""
        self.settle()
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
        runs = self._end_runs()
        failure = failure or next((run.failure for run in runs if run.failure), None)
        try:
            self._undo(self.names + [name for run in runs for name in sorted(run.names)], runs)
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

    # ---- the runs
    def _start(self) -> None:
        if not self._locked:
            self.store._writing.acquire()
            self._locked = True
        try:
            if not self.names and self._saving is None and self.store._small():
                # The registry's own graphs, written by transactions, sit in RocksDB's top
                # level; a loader's file overlapping them goes there too, and two files
                # there make RocksDB merge them into a level Oxigraph leaves uncompressed.
                # Compacted first (a fraction of a second while the store is small), they
                # lie below the loader's files.
                self.store.oxigraph.optimize()
            self._runs += 1
            path = (None if self.store.path is None  # else where opening the store clears it
                    else str(self.store.path / f"{PIPE}{self.id}-{self._runs}"))
            self._run = _Run(self.store, path)
        except BaseException:
            self._release()
            raise

    def _end_runs(self) -> list[_Run]:
        """Every run's input ended, and each taken in or failed; oldest first."""
        if self._run is not None:
            self._sync()
        runs = [run for run in (self._saving, self._run) if run is not None]
        self._saving = self._run = None
        for run in runs:
            run.join()
        return runs

    def _settle(self, runs: list[_Run]) -> None:
        """Runs that ended: in the store, or, if one failed, all undone and why raised."""
        try:
            failure = next((run.failure for run in runs if run.failure is not None), None)
            if failure is not None:
                self._undo([name for run in runs for name in sorted(run.names)], runs)
                self._raise(failure)
            for run in runs:
                self.names += sorted(run.names)
        finally:
            self._release()

    def _fail(self) -> None:
        runs = self._end_runs()
        self._settle(runs)
        raise Invalid("the bulk loader stopped reading")  # it had no error to say why

    def _release(self) -> None:
        if self._locked and self._run is None and self._saving is None:
            self._locked = False
            self.store._writing.release()

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

    def _undo(self, names: list[str], runs: list[_Run]) -> None:
        try:
            if runs:  # what the loader wrote and did not take in
                self.store._remove_bulk_files(runs[0].before)
            if names:
                self.store._drop_load(names)
        except OSError:  # the disk is full: opening the store next drops them
            log.warning("could not undo a failed bulk load yet; the store drops its %d "
                        "graphs when it is next opened", len(names))

    def _raise(self, failure: BaseException) -> None:
        self._failure = None
        if isinstance(failure, SyntaxError):
            raise Invalid(f"could not write the graphs: {failure}") from failure
        with self.store._disk():
            raise failure
