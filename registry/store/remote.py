"""A store on an external SPARQL 1.1 server, behind the same interface as the embedded one.

Queries are form-encoded POSTs to the query endpoint (answers.py reads them back), with the
profile's way of making the default graph the union of the named graphs; writes are SPARQL
1.1 Update requests; whole
graphs are read, and oversized staged graphs written, with the Graph Store Protocol.
Graph writes follow `staging.py`: in place in one request where the server runs a request
as one transaction and it fits in `store_max_request_bytes`, else written under other names
and switched in. Nothing here talks to the server before the first call, so opening a store
(and creating a web app) does no network I/O.
"""
from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
import urllib.parse
from typing import Any, Iterable, Mapping

import pyoxigraph as ox
import rdflib

from ..errors import Invalid, TinyregError, TooLarge, Unavailable
from ..vocab import META_GRAPH
from .base import (REVISION_PREDICATE, GraphLike, QueryResult, Store,
                   Transaction, check_graph_name, revision_update_text)
from .changelog import trim_due
from .answers import GRAPH_ACCEPT, RESULTS_ACCEPT, parse_graph, parse_results, query_form
from .http import Http
from .profiles import endpoints, profile_named
from .staging import (STAGING_GRAPH_PREFIX, Prepared, Staging, drop_op, in_place_ops,
                      insert_ops, prepare)
from .table import Table
from .terms import IRI, inline_bindings, to_rdflib

log = logging.getLogger(__name__)

# The revision is the sum of one counter per writer (a store object in one thread): a
# server may run two read-modify-write updates of one counter side by side and keep only
# one increment (Oxigraph does), and then two processes would see one revision for two
# different contents. Each writer's updates are sequential, so no increment of its own
# counter is lost. `seen` counts the counters through the union default graph: a server
# whose default graph is not that union shows none.
_REVISION = (f"SELECT ?stored ?seen WHERE {{ "
             f"{{ SELECT (SUM(?n) AS ?stored) WHERE {{ GRAPH <{META_GRAPH}> {{ ?w <{REVISION_PREDICATE}> ?n }} }} }} "
             f"{{ SELECT (COUNT(?m) AS ?seen) WHERE {{ ?v <{REVISION_PREDICATE}> ?m }} }} }}")
_WRITER_PREFIX = "urn:tinyreg:writer:"
_COUNTER = f"SELECT ?n WHERE {{ GRAPH <{META_GRAPH}> {{ ?w <{REVISION_PREDICATE}> ?n }} }}"
_HAS_GRAPH = "ASK WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH_NAMES_CHEAP = "SELECT ?g WHERE { GRAPH ?g { } }"
# GROUP BY rather than DISTINCT: Virtuoso took 16 s for DISTINCT on 361 graphs, 5-15 ms so.
_GRAPH_NAMES = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
# A request the server rolled back is sent again this many times, after a pause that grows
# and is drawn at random, so that the writers that deadlocked do not meet again in step.
_RESENDS = 6
_FIRST_PAUSE_S = 0.05


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


class RemoteStore(Store):
    def __init__(self, query_url: str, update_url: str = "", gsp_url: str = "", *,
                 user: str = "", password: str = "", profile: str = "oxigraph",
                 timeout_s: float = 30, max_request_bytes: int = 1 << 20):
        self.profile = profile_named(profile)
        self.endpoints = endpoints(self.profile, query_url, update_url, gsp_url)
        self.max_request_bytes = max_request_bytes
        self._http = Http(user, password, timeout_s, digest=self.profile.digest_auth,
                          urls=(self.endpoints.query, self.endpoints.update, self.endpoints.gsp))
        self._union_seen = False
        self._writer = threading.local()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "RemoteStore":
        return cls(settings["store_url"], settings["store_update_url"], settings["store_gsp_url"],
                   user=settings["store_user"], password=settings["store_password"],
                   profile=settings["store_profile"], timeout_s=settings["store_timeout_s"],
                   max_request_bytes=settings["store_max_request_bytes"])

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoints.query!r}, profile={self.profile.name!r})"

    # ---- reading
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None, *,
              default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None) -> QueryResult:
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        result = self._send_query(sparql, default_graphs or [], named_graphs or [])
        try:
            return QueryResult.from_oxigraph(result)
        except SyntaxError as exc:
            raise self.broken_answer(exc) from None

    def table(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> Table:
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        solutions = self._send_query(sparql, [], [])
        if not isinstance(solutions, ox.QuerySolutions):
            raise Invalid("a table is the answer to a SELECT query")
        try:
            return Table.from_solutions(solutions)
        except SyntaxError as exc:
            raise self.broken_answer(exc) from None

    def broken_answer(self, exc: SyntaxError) -> Unavailable:
        """Answers are parsed as they stream in: a server that fails half way (a SERVICE
        call of its own that failed, its time limit) leaves text that does not parse."""
        return Unavailable(f"the SPARQL server at {self.endpoints.query} broke off its "
                           f"answer: {exc}")

    def raw_query(self, sparql: str, *, default_graph: list | None = None,
                  named_graphs: list | None = None, **_: Any) -> Any:
        """The answer as pyoxigraph objects read lazily from the server's response, as the
        embedded store's `raw_query` gives them, for the public endpoint to stream. Without
        graphs named, the default graph is the union (pyoxigraph's
        `use_default_graph_as_union`, which the endpoint passes, is how this store works)."""
        return self._send_query(sparql, [g.value for g in default_graph or []],
                                [g.value for g in named_graphs or []])

    def _send_query(self, sparql: str, default_graphs: list[str], named_graphs: list[str]) -> Any:
        form = query_form(sparql)
        params = [("query", sparql)]
        if default_graphs or named_graphs:
            params += [("default-graph-uri", check_graph_name(g)) for g in default_graphs]
            params += [("named-graph-uri", check_graph_name(g)) for g in named_graphs]
        else:
            params += list(self.profile.union_parameters.items())
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        # Form-encoded POST: what every SPARQL 1.1 server accepts, at any query length.
        answer = self._http.request(
            "POST", self.endpoints.query, "query", body=urllib.parse.urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": GRAPH_ACCEPT if graph_form else RESULTS_ACCEPT})
        media_type = _media_type(answer.content_type)
        try:
            if graph_form:
                return parse_graph(answer.body, media_type)
            return parse_results(answer.body, media_type, form)
        except (SyntaxError, ValueError) as exc:
            raise Unavailable(f"the SPARQL server at {self.endpoints.query} answered "
                              f"something unreadable ({media_type}): {exc}") from None

    def get_graph(self, name: str) -> rdflib.Graph:
        check_graph_name(name)
        if not self.endpoints.gsp:
            return self.query(_GRAPH, {"g": IRI(name)}).graph
        url = f"{self.endpoints.gsp}?{urllib.parse.urlencode({'graph': name})}"
        answer = self._http.request("GET", url, "graph read", ok_missing=True,
                                    headers={"Accept": GRAPH_ACCEPT})
        graph = rdflib.Graph()
        if answer is not None:
            for t in parse_graph(answer.body, _media_type(answer.content_type)):
                graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph

    def graph_names(self, under: str = "") -> list[str]:
        sparql = _GRAPH_NAMES_CHEAP if self.profile.lists_graphs_cheaply else _GRAPH_NAMES
        hidden = (STAGING_GRAPH_PREFIX, *self.profile.system_graphs)
        return sorted(name for name in (row["g"] for row in self.select(sparql))
                      if name.startswith(under) and name != META_GRAPH
                      and not name.startswith(hidden))

    def location(self) -> str | None:
        return self.endpoints.query

    def has_graph(self, name: str) -> bool:
        return self.ask(_HAS_GRAPH, {"g": IRI(check_graph_name(name))})

    def revision(self) -> int:
        row = self.select(_REVISION)[0]
        if not row["stored"]:
            return 0
        if not row["seen"] and not self._union_seen:
            raise Unavailable(
                f"the SPARQL server at {self.endpoints.query} does not answer queries over the "
                f"union of its named graphs; configure its default graph as that union, or "
                f"choose the store_profile that matches the server (now {self.profile.name})")
        self._union_seen = True
        return int(row["stored"])

    def triple_count(self) -> int:
        return int(self.select(_TRIPLES)[0]["n"])

    # ---- writing
    def _current_writer(self) -> "_Writer":
        writer = getattr(self._writer, "state", None)
        if writer is None:
            writer = self._writer.state = _Writer()
        return writer

    @contextlib.contextmanager
    def _counted(self, graphs: Iterable[str] | None, under: Iterable[str] = ()):
        """The operations that count one write on this thread's own counter and log it as
        changing `graphs` (None: any graph), for the caller to send; the count moves when
        the block ends without error. The first write of a counter reads it back and fails
        loudly if it did not move (a server that ran the operations in its own way)."""
        writer = self._current_writer()
        text = revision_update_text(writer.subject, graphs, under, count=writer.count,
                                    trim=trim_due(writer.count))
        try:
            yield text
        except _DoesNotFit:
            raise  # nothing was sent
        except BaseException:
            # Whether the step landed is unknown: later writes count on a counter of their own.
            self._writer.state = None
            raise
        writer.count += 1
        if not writer.checked:
            stored = [row["n"] for row in self.select(
                _COUNTER, {"w": IRI(writer.subject)})]
            if stored != [writer.count]:
                self._writer.state = None
                raise Unavailable(
                    f"the SPARQL server at {self.endpoints.update} accepted a write but its "
                    f"revision counter reads {stored} instead of [{writer.count}]: caches "
                    f"would never see the change; run `tinyreg store check` against it")
            writer.checked = True

    def update(self, sparql: str) -> None:
        """Run an update and count it as a write of any graph, in the same request."""
        self.update_graphs(sparql, None)

    def update_graphs(self, sparql: str, graphs: Iterable[str] | None,
                      under: Iterable[str] = ()) -> None:
        if not sparql or not sparql.strip():
            raise Invalid("empty SPARQL update")
        names = None if graphs is None else [check_graph_name(name) for name in graphs]
        with self._counted(names, list(under)) as bump:
            self._send_update(sparql.rstrip().rstrip(";") + " ;\n" + bump)

    def _send_update(self, text: str, what: str = "update") -> None:
        for attempt in range(_RESENDS + 1):
            try:
                self._http.request("POST", self.endpoints.update, what, body=text.encode(),
                                   headers={"Content-Type": "application/sparql-update"})
                return
            except Unavailable as exc:
                if attempt == _RESENDS or not self._rolled_back(exc):
                    raise
                log.info("the SPARQL server rolled back a %s (%s); sending it again", what,
                         exc.detail[:80])
                time.sleep(_FIRST_PAUSE_S * 2 ** attempt * (0.5 + random.random()))

    def _rolled_back(self, exc: Unavailable) -> bool:
        return any(marker in exc.detail for marker in self.profile.rolled_back)

    def apply(self, txn: Transaction) -> None:
        puts = [prepare(name, graph) for name, graph in txn.puts.items()]
        deletes = sorted(txn.deletes)
        if self.profile.atomic_updates and self._write_in_place(puts, deletes):
            return
        self._write_staged(puts, deletes)

    def _write_in_place(self, puts: list[Prepared], deletes: list[str]) -> bool:
        """One request that replaces the graphs, if it fits in store_max_request_bytes."""
        ops = in_place_ops(puts, deletes)
        try:
            with self._counted(_names(puts, deletes)) as bump:
                text = " ;\n".join(ops + [bump])
                if len(text.encode()) > self.max_request_bytes:
                    raise _DoesNotFit
                self._send_update(text, "graph write")
        except _DoesNotFit:
            return False
        return True

    def bulk_load(self, graphs: Iterable[tuple[str, GraphLike]], batch: int = 2000) -> int:
        """Many graphs in as few requests as fit `store_max_request_bytes`.

        Each graph is written whole; a batch is one request where requests are atomic and
        a staged write elsewhere, so readers may see a load part-way, never a graph part-way.
        """
        count, pending, size = 0, [], 0
        for name, graph in graphs:
            prepared = prepare(name, self.entailed(name, graph))
            # its DROP and INSERT DATA, and its name again in the change log's entry
            weight = len(prepared.ntriples) + 3 * len(name) + 128
            if pending and (size + weight > self.max_request_bytes or len(pending) >= batch):
                count += self._load(pending)
                pending, size = [], 0
            pending.append(prepared)
            size += weight
        if pending:
            count += self._load(pending)
        return count

    def _load(self, graphs: list[Prepared]) -> int:
        if self.profile.atomic_updates:
            if self._write_in_place(graphs, []):
                return len(graphs)
            if len(graphs) > 1:
                # Two requests in place cost less than staging: that copies every graph
                # twice on the server, in three requests.
                half = len(graphs) // 2
                return self._load(graphs[:half]) + self._load(graphs[half:])
        self._write_staged(graphs, [])
        return len(graphs)

    def _write_staged(self, puts: list[Prepared], deletes: list[str]) -> None:
        """Write the new graphs under staging names, then switch them in and drop the copies.

        The switches go in requests of at most the profile's `switches_per_request` graphs
        (Virtuoso refuses a request too large to compile), each counted as a write of the
        graphs it switched; if any request fails, the staged copies are dropped."""
        staging = Staging()
        # A name given twice (a bulk load's later file) is written once, as last given.
        puts = list({graph.name: graph for graph in puts}.values())
        names = list(deletes) + [graph.name for graph in puts]
        try:
            batch, size = [], 0
            for graph in puts:
                if not graph.triples:  # an empty graph is simply dropped
                    continue
                staged = staging.stage(graph)
                weight = sum(len(op.encode()) + 3 for op in insert_ops([staged]))
                if weight > self.max_request_bytes:
                    self._post_graph(staged)
                    continue
                if batch and size + weight > self.max_request_bytes:
                    self._send_ops(insert_ops(batch), "staged graph write")
                    batch, size = [], 0
                batch.append(staged)
                size += weight
            if batch:
                self._send_ops(insert_ops(batch), "staged graph write")
            # The revision moves with each switch, so a cache never keeps old contents under
            # the new revision; each request drops the copies it switched in.
            for chunk in self._switch_chunks(names):
                switched = [name for name in chunk if name in staging.graphs]
                ops = [staging.switch_op(name) if name in staging.graphs else drop_op(name)
                       for name in chunk]
                with self._counted(chunk) as bump:
                    self._send_ops(ops + [bump] + staging.cleanup_ops(switched), "graph switch")
        except TinyregError:
            self._drop_quietly(staging)
            raise

    def _switch_chunks(self, names: list[str]) -> list[list[str]]:
        step = self.profile.switches_per_request or len(names) or 1
        return [names[start:start + step] for start in range(0, len(names), step)]

    def _drop_quietly(self, staging: Staging) -> None:
        try:
            for chunk in self._switch_chunks(list(staging.graphs)):
                self._send_ops(staging.cleanup_ops(chunk), "staging clean-up")
        except TinyregError as exc:  # never hide the error that brought us here
            log.warning("could not drop staging graphs: %s", exc.detail)

    def _send_ops(self, ops: list[str], what: str) -> None:
        """Send operations in order, as many per request as fit; each operation stays whole."""
        requests = _Requests(self, what)
        for op in ops:
            requests.add(op)
        requests.flush()

    def _post_graph(self, graph: Prepared) -> None:
        """A graph too big for one update request goes through the Graph Store instead."""
        if not self.endpoints.gsp:
            raise TooLarge(f"graph {graph.name} needs more than store_max_request_bytes "
                           f"({self.max_request_bytes}) in one request and no store_gsp_url "
                           f"is set to send it another way")
        url = f"{self.endpoints.gsp}?{urllib.parse.urlencode({'graph': graph.name})}"
        self._http.request("POST", url, "staged graph write", body=graph.ntriples.encode(),
                           headers={"Content-Type": "application/n-triples"})


class _DoesNotFit(Exception):
    """The write is larger than one request may be."""


class _Writer:
    """One thread's revision counter on the server, and its value as far as it knows."""

    def __init__(self) -> None:
        self.subject = f"{_WRITER_PREFIX}{uuid.uuid4().hex}"
        self.count = 0
        self.checked = False


def _names(puts: list[Prepared], deletes: list[str]) -> list[str]:
    return [graph.name for graph in puts] + deletes


class _Requests:
    """Operations gathered into update requests of at most `store_max_request_bytes`."""

    def __init__(self, store: RemoteStore, what: str):
        self.store, self.what = store, what
        self.ops: list[str] = []
        self.size = 0

    def add(self, op: str) -> None:
        length = len(op.encode()) + 3  # and the " ;\n" that joins it to the next
        if self.ops and self.size + length > self.store.max_request_bytes:
            self.flush()
        self.ops.append(op)
        self.size += length

    def flush(self) -> None:
        if self.ops:
            self.store._send_update(" ;\n".join(self.ops), self.what)
            self.ops, self.size = [], 0
