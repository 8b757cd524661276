"""The server's pool of query worker processes (worker.py) over the embedded store.

Oxigraph cannot interrupt a query, so a query that must be stoppable runs where it can be
killed. A request takes an idle worker (or starts one, up to `size`; or waits for one until
its deadline), sends the query with the store's current revision, and waits for the answer
until `sparql_timeout_ms`. When the time is up the worker is killed (SIGKILL) and reaped
before the request answers 503: its CPU and memory are free at once, and the next request
starts a fresh worker (0.1-0.2 s). A worker that dies on its own (a panic, a stack
overflow, its memory cap) answers through its exit status and the last lines it wrote on
its standard error, read here into a 400 or 503 problem; the server process never runs
public query text.

Workers start lazily (`tinyreg serve` starts them all before it listens), and a worker whose
resident memory has grown by half of its cap since it started is replaced after its answer (a
failed SERVICE call leaks in the engine). When a worker reports that opening the store at a new revision was
slow (a long write-ahead log to replay), the server's store is flushed.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import IO, Any, Callable

from tinyreg.registry.errors import Invalid, TinyregError, Unavailable
from tinyreg.registry.querytext import syntax_problem

from .evaluate import ENGINE, INVALID, MEMORY, SYNTAX, Answer, Call, Request

log = logging.getLogger(__name__)

# How long a worker may take to start (import, open the store) before it is given up.
START_TIMEOUT_S = 60
# Re-opening slower than this means a long write-ahead log: the pool flushes the store.
SLOW_REOPEN_MS = 100
_STDERR_TAIL = 16384


@dataclass
class Worker:
    process: subprocess.Popen
    conn: Connection
    stderr: IO[bytes]
    revision: int
    isolation: str | None = None  # None: without network; else why it has network
    rss_mb: float = 0.0  # resident memory when it was ready


class WorkerPool:
    def __init__(self, store: Any, *, size: int, memory_mb: int, isolate: bool,
                 prefixes: dict[str, str], functions: list[str] = (),
                 calls: Callable[[], Any] | None = None, by_version: list[str] = ()):
        """`store` is the server's EmbeddedStore (its directory, revision and flush);
        `functions` the IRIs of the SPARQL functions a query may call, which `calls()`
        answers here (one `Calls` of registry/sparql_functions.py per query)."""
        self.store = store
        self.size = size
        self.memory_mb = memory_mb
        self.isolate = isolate
        self.prefixes = dict(prefixes)
        self.functions = list(functions)
        self.by_version = list(by_version)  # those answered a version at a time
        self.calls = calls
        self._idle: list[Worker] = []
        self._live = 0  # idle, busy and starting
        self._cond = threading.Condition()
        self._closed = False
        self._processes: set[subprocess.Popen] = set()
        # Workers must not outlive a pool that is dropped without close() (tests' apps).
        self._finalizer = weakref.finalize(self, _kill_all, self._processes)

    # ---- what the endpoint calls
    def run(self, request: Request, *, timeout_ms: int) -> Answer:
        deadline = time.monotonic() + timeout_ms / 1000
        worker = self._checkout(deadline)
        healthy = False
        try:
            reply, healthy = self._ask(worker, request, deadline, timeout_ms)
        finally:
            self._checkin(worker, healthy)
        if isinstance(reply, Answer):
            return reply
        raise failure_error(*reply, memory_mb=self.memory_mb, text=request.text)

    def warm(self) -> None:
        """Start every worker now (`tinyreg serve` does, before it listens)."""
        with self._cond:
            wanted = self.size - self._live
            self._live += wanted
        started: list[Worker] = []
        try:
            pending = [self._start() for _ in range(wanted)]  # they start side by side
            for process in pending:
                started.append(self._greeted(*process))
        finally:
            with self._cond:
                self._live -= wanted - len(started)
                self._idle.extend(started)
                self._cond.notify_all()
        if self.isolate and any(w.isolation for w in started):
            log.warning("query workers could not leave the network (%s); SERVICE and LOAD "
                        "are still refused by the text check", started[0].isolation)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._idle.clear()
            self._cond.notify_all()
        self._finalizer()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in list(self._processes)]

    # ---- taking and giving back workers
    def _checkout(self, deadline: float) -> Worker:
        with self._cond:
            waited = False
            while True:
                if self._closed:
                    raise Unavailable("the server is stopping")
                if self._idle:
                    return self._idle.pop()
                remaining = deadline - time.monotonic()
                if self._live < self.size and (remaining > 0 or not waited):
                    self._live += 1
                    break
                if remaining <= 0:
                    raise Unavailable(f"all {self.size} query workers were busy for the "
                                      f"query's whole time limit; try again shortly")
                self._cond.wait(remaining)
                waited = True
        try:
            return self._greeted(*self._start())
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def _checkin(self, worker: Worker, healthy: bool) -> None:
        if not healthy:
            self._stop(worker)
        with self._cond:
            if healthy and not self._closed:
                self._idle.append(worker)
            else:
                self._live -= 1
                if healthy:
                    self._stop(worker)
            self._cond.notify()

    # ---- one query
    def _ask(self, worker: Worker, request: Request, deadline: float,
             timeout_ms: int) -> tuple[Answer | tuple[str, str], bool]:
        """The worker's reply (an answer, or a failure's code and message) and whether the
        worker can take another query."""
        revision = self.store.revision()
        calls = None
        try:
            worker.conn.send((request, revision))
        except OSError:
            pass  # the worker is gone: recv says how
        while True:
            try:
                ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            except OSError:
                ready = True
            if not ready:
                self._stop(worker)
                raise deadline_error(timeout_ms)
            try:
                message = worker.conn.recv()
                if not isinstance(message, Call):
                    break
                # The query calls one of the registry's functions: answered here.
                calls = calls or self.calls()
                worker.conn.send(calls.row(message.iri, message.arguments[0]) if message.by_version
                                 else calls.call(message.iri, message.arguments))
            except (EOFError, OSError):
                raise self._death(worker) from None
        reply, reopen_ms, rss_mb = message
        worker.revision = revision
        if reopen_ms > SLOW_REOPEN_MS:
            log.info("a query worker took %.0f ms to open the store; flushing it", reopen_ms)
            self.store.flush()
        return reply, rss_mb < worker.rss_mb + self.memory_mb / 2

    def _death(self, worker: Worker) -> TinyregError:
        """The error that answers a request whose worker died under it."""
        try:
            code = worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._stop(worker)
            code = worker.process.returncode
        if self._closed:
            return Unavailable("the server is stopping")
        said = _tail(worker.stderr)
        error = _death_error(code, said, self.memory_mb)
        # What the query did to its worker is the client's answer; only a death nothing
        # explains is the operator's to look into.
        log.log(logging.INFO if error else logging.WARNING,
                "a query worker ended (exit status %s): %s", code, said[-500:])
        return error or Unavailable(f"the query worker stopped (exit status {code}); try again")

    # ---- processes
    def _start(self) -> tuple[subprocess.Popen, Connection, IO[bytes], int]:
        ours, theirs = Pipe()
        stderr = tempfile.TemporaryFile()
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tinyreg.web.sparql.worker", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        except OSError as exc:
            ours.close()
            stderr.close()
            raise Unavailable(f"cannot start a query worker: {exc}") from None
        finally:
            theirs.close()
        self._processes.add(process)
        revision = self.store.revision()
        try:
            ours.send({"path": str(self.store.path), "revision": revision,
                       "memory_mb": self.memory_mb, "isolate": self.isolate,
                       "prefixes": self.prefixes, "functions": self.functions,
                       "by_version": self.by_version})
        except OSError:
            pass  # it has ended already: _greeted says how
        return process, ours, stderr, revision

    def _greeted(self, process: subprocess.Popen, conn: Connection, stderr: IO[bytes],
                 revision: int) -> Worker:
        worker = Worker(process, conn, stderr, revision)
        try:
            if not conn.poll(START_TIMEOUT_S):
                raise TimeoutError
            greeting = conn.recv()
            worker.isolation, worker.rss_mb = greeting["isolation"], greeting["rss_mb"]
        except (EOFError, OSError) as exc:
            # which of the two it was (no greeting in time, or the worker ended and how)
            # is what an operator needs to look further
            timed_out = isinstance(exc, TimeoutError)
            self._stop(worker)
            said = _tail(stderr).strip().splitlines()
            why = (f"no greeting within {START_TIMEOUT_S} s" if timed_out
                   else f"it ended with exit status {process.returncode}")
            raise Unavailable(f"a query worker did not start ({why})"
                              + (f": {said[-1]}" if said else "")) from None
        return worker

    def _stop(self, worker: Worker) -> None:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait()
        self._processes.discard(worker.process)
        worker.conn.close()
        worker.stderr.close()


def _death_error(code: int | None, said: str, memory_mb: int) -> TinyregError | None:
    """What a worker's exit status and last words say its query did, if they say it."""
    if "memory allocation of" in said or "MemoryError" in said:
        return _memory_error(memory_mb)
    if "has overflowed its stack" in said or code == -signal.SIGSEGV:
        return Invalid("the query engine ran out of stack on this query (expressions, "
                       "joins or paths nested or chained too deeply); simplify it")
    if "panicked at" in said:
        reason = said.split("panicked at", 1)[1].splitlines()
        detail = reason[1].strip() if len(reason) > 1 else reason[0].strip()
        return Invalid(f"the query engine failed on this query ({detail}); "
                       f"rewrite it (e.g. ORDER BY over values of mixed types)")
    if code == -signal.SIGKILL:  # the kernel's OOM killer, or someone else
        return _memory_error(memory_mb)
    return None


def _kill_all(processes: set[subprocess.Popen]) -> None:
    for process in list(processes):
        if process.poll() is None:
            process.kill()
        process.wait()
    processes.clear()


def deadline_error(timeout_ms: int) -> Unavailable:
    return Unavailable(f"the query ran longer than the endpoint's limit of {timeout_ms} ms "
                       f"(setting sparql_timeout_ms); narrow it or add a LIMIT",
                       limit_ms=timeout_ms)


def failure_error(code: str, message: str, *, memory_mb: int | None = None,
                  text: str | None = None) -> TinyregError:
    """The error for a failure that evaluate.failure() described (about query `text`)."""
    if code == MEMORY and memory_mb is not None:
        return _memory_error(memory_mb)
    if code == INVALID and text is not None and message.startswith(SYNTAX):
        # The parser's own message can list every character class it expected.
        message = syntax_problem(text, message[len(SYNTAX):])
    return (Invalid if code in (INVALID, ENGINE) else Unavailable)(message)


def _memory_error(memory_mb: int) -> Unavailable:
    return Unavailable(f"the query needed more memory than the {memory_mb} MiB a query may "
                       f"use (setting sparql_memory_mb); narrow it or add a LIMIT")


def _tail(stderr: IO[bytes]) -> str:
    try:
        stderr.seek(0, os.SEEK_END)
        size = stderr.tell()
        stderr.seek(max(0, size - _STDERR_TAIL))
        return stderr.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""
