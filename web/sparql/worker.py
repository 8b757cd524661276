"""A query worker: a process of its own that answers public SPARQL queries, one at a time,
over the embedded store opened read-only, so that the server can kill it.

pool.py starts it as `python -m tinyreg.web.sparql.worker FD` and talks to it over the
connection on FD. The worker reads its configuration, then, in this order:

- leaves the network when federation is off: a new network namespace (`unshare`) has only a
  loopback interface that is down, so even a SERVICE or LOAD that slipped past the text
  check (registry/querytext.py) cannot connect anywhere. Where the kernel refuses (no
  privilege, no user namespaces) it says why in its greeting and goes on;
- opens the store read-only (RocksDB lets a read-only instance beside the server's
  read-write one; it sees what was written up to its opening);
- caps its address space at what it uses once open plus `memory_mb` (RLIMIT_AS): a query
  that wants more fails an allocation and the process ends;
- answers queries until the connection closes. Each request carries the store's revision;
  a worker opened at another revision opens the store again first (that replays the
  write-ahead log since the server's last flush, so the time it took goes back in the reply
  and the pool flushes the server's store when it grows).

A panic, a stack overflow or an allocation that fails ends the process with a message on
its standard error, which the pool reads to answer the request. Only pyoxigraph and this
package's serialisers are imported.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time
from multiprocessing.connection import Connection

import pyoxigraph as ox

from .evaluate import Call, Request, evaluate, failure

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_OPEN_TRIES = 3
# Calls about one model version in one query before its answers for every device are asked.
_CALLS_BEFORE_ROW = 16


def main(fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    conn = Connection(fd)
    config = conn.recv()
    isolation = _leave_network() if config["isolate"] else "federation is on"
    path, prefixes = config["path"], config["prefixes"]
    rows: dict = {}  # a query's answers by version, from the server (`by_version` functions)
    functions = _functions(conn, config["functions"], set(config.get("by_version", ())), rows)
    store, revision = _open(path), config["revision"]
    _cap_memory(config["memory_mb"])
    conn.send({"pid": os.getpid(), "isolation": isolation, "rss_mb": _rss_mb()})
    while True:
        try:
            request, wanted = conn.recv()
        except EOFError:  # the server closed the pool or went away
            return
        reopen_ms = 0.0
        rows.clear()  # answers hold for one query (the store may change between two)
        if wanted != revision:
            start = time.perf_counter()
            store = None  # the old instance's memory first
            store, revision = _open(path), wanted
            reopen_ms = (time.perf_counter() - start) * 1000
        try:
            answer = evaluate(store.query, request, prefixes, functions=functions)
        except FileNotFoundError:
            # The server compacted the store and deleted a table this instance had not
            # opened yet: a fresh instance reads the tables that replaced it.
            store = None
            store = _open(path)
            answer = _answer(store, request, prefixes, functions)
        except BaseException as exc:  # noqa: BLE001 (every failure goes back as an answer)
            answer = failure(exc)
        conn.send((answer, reopen_ms, _rss_mb()))


def _functions(conn: Connection, iris: list[str], by_version: set[str], rows: dict) -> dict:
    """The registry's SPARQL functions, answered by the server: it holds the compatibility
    engine, current and warm, which this process does not load. For a function of a version
    and a device that the server works out a version at a time, the first call for a version
    brings its answers for every device (one round trip instead of one a row)."""
    def remote(iri: str):
        def call(*arguments):
            if iri in by_version and len(arguments) == 2 and isinstance(arguments[1], ox.NamedNode):
                key = (iri, arguments[0])
                found = rows.get(key)
                if isinstance(found, dict):
                    return found.get(arguments[1].value)
                # A version asked about a few devices (models for one device) costs a call
                # each; one asked about many (devices for one model), a row.
                rows[key] = (found or 0) + 1
                if rows[key] > _CALLS_BEFORE_ROW:
                    conn.send(Call(iri, arguments[:1], by_version=True))
                    rows[key] = conn.recv()
                    return rows[key].get(arguments[1].value)
            conn.send(Call(iri, arguments))
            return conn.recv()
        return call
    return {ox.NamedNode(iri): remote(iri) for iri in iris}


def _answer(store: ox.Store, request: Request, prefixes: dict[str, str], functions: dict):
    try:
        return evaluate(store.query, request, prefixes, functions=functions)
    except BaseException as exc:  # noqa: BLE001
        return failure(exc)


def _open(path: str) -> ox.Store:
    # A read-only open can meet a manifest the server is rewriting at that moment.
    for attempt in range(_OPEN_TRIES):
        try:
            return ox.Store.read_only(path)
        except OSError:
            if attempt == _OPEN_TRIES - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _leave_network() -> str | None:
    """None when this process is now without network, else why it is not."""
    libc = ctypes.CDLL(None, use_errno=True)
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return None
    return f"unshare: {os.strerror(ctypes.get_errno())}"


def _cap_memory(memory_mb: int) -> None:
    with open("/proc/self/statm") as f:
        size_pages = int(f.read().split()[0])
    limit = size_pages * os.sysconf("SC_PAGE_SIZE") + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


if __name__ == "__main__":
    main(int(sys.argv[1]))
