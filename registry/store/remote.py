"""A store on an external SPARQL 1.1 server, behind the same interface as the embedded one.

Queries go through SPARQLWrapper to the query endpoint, with the profile's way of making the
default graph the union of the named graphs; writes are SPARQL 1.1 Update requests; whole
graphs are read, and oversized staged graphs written, with the Graph Store Protocol.
Graph writes follow `staging.py`: in place in one request where the server runs a request
as one transaction and it fits in `store_max_request_bytes`, else written under other names
and switched in. Nothing here talks to the server before the first call, so opening a store
(and creating a web app) does no network I/O.
"""
from __future__ import annotations

import ast
import logging
import threading
import uuid
import urllib.error
import urllib.parse
import warnings
from typing import Any, Iterable, Mapping

import pyoxigraph as ox
import rdflib
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper import SPARQLExceptions as wrapper_errors

from ..errors import Invalid, TinyregError, TooLarge, Unavailable
from ..vocab import META_GRAPH
from .base import (REVISION_PREDICATE, GraphLike, QueryResult, Store,
                   Transaction, check_graph_name, revision_update_text)
from .http import Http, http_error, one_line, unreachable
from .profiles import endpoints, profile_named
from .staging import STAGING_GRAPH_PREFIX, Prepared, Staging, drop_op, in_place_ops, prepare
from .table import Table
from .terms import IRI, inline_bindings, to_rdflib

log = logging.getLogger(__name__)

_STATUS = {wrapper_errors.QueryBadFormed: 400, wrapper_errors.Unauthorized: 401,
           wrapper_errors.EndPointNotFound: 404, wrapper_errors.URITooLong: 414,
           wrapper_errors.EndPointInternalError: 500}

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
_HAS_GRAPH = "ASK WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH_NAMES_CHEAP = "SELECT ?g WHERE { GRAPH ?g { } }"
_GRAPH_NAMES = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


class RemoteStore(Store):
    def __init__(self, query_url: str, update_url: str = "", gsp_url: str = "", *,
                 user: str = "", password: str = "", profile: str = "oxigraph",
                 timeout_s: float = 30, max_request_bytes: int = 1 << 20):
        self.profile = profile_named(profile)
        self.endpoints = endpoints(self.profile, query_url, update_url, gsp_url)
        self.max_request_bytes = max_request_bytes
        self._credentials = (user, password)
        self._http = Http(user, password, timeout_s, digest=self.profile.digest_auth)
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
        wrapper = SPARQLWrapper(self.endpoints.query, agent="tinyreg")
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)  # the form every SPARQL 1.1 server accepts
        wrapper.setOnlyConneg(True)
        wrapper.setTimeout(int(self._http.timeout_s))
        user, password = self._credentials
        if user:
            wrapper.setHTTPAuth(DIGEST if self.profile.digest_auth else BASIC)
            wrapper.setCredentials(user, password)
        if default_graphs or named_graphs:
            for name in default_graphs:
                wrapper.addDefaultGraph(check_graph_name(name))
            for name in named_graphs:
                wrapper.addNamedGraph(check_graph_name(name))
        else:
            for key, value in self.profile.union_parameters.items():
                wrapper.addParameter(key, value)
        with warnings.catch_warnings():
            # It warns when it cannot tell the query form; the server judges the query.
            warnings.simplefilter("ignore", RuntimeWarning)
            wrapper.setQuery(sparql)
        if wrapper.isSparqlUpdateRequest():
            raise Invalid("invalid SPARQL query: this is an update, not a query")
        graph_form = wrapper.queryType in ("CONSTRUCT", "DESCRIBE")
        wrapper.setReturnFormat(TURTLE if graph_form else JSON)
        try:
            response = wrapper.query().response
        except wrapper_errors.SPARQLWrapperException as exc:
            raise self._wrapper_error(exc) from None
        except urllib.error.HTTPError as exc:
            raise http_error(self.endpoints.query, exc.code, exc.read(), "query") from None
        except (urllib.error.URLError, OSError) as exc:
            raise unreachable(self.endpoints.query, exc) from None
        media_type = _media_type(response.headers.get("Content-Type", ""))
        try:
            if graph_form:
                return ox.parse(response, format=ox.RdfFormat.from_media_type(media_type)
                                or ox.RdfFormat.TURTLE)
            return ox.parse_query_results(
                response, format=ox.QueryResultsFormat.from_media_type(media_type)
                or ox.QueryResultsFormat.JSON)
        except SyntaxError as exc:
            raise Unavailable(f"the SPARQL server at {self.endpoints.query} answered "
                              f"something unreadable ({media_type}): {exc}") from None

    def _wrapper_error(self, exc: wrapper_errors.SPARQLWrapperException) -> TinyregError:
        # SPARQLWrapper keeps the server's answer only inside its message, as a bytes repr.
        _, _, answer = str(exc).partition("Response:\n")
        try:
            body = ast.literal_eval(answer) if answer else b""
        except (ValueError, SyntaxError):
            body = answer
        status = _STATUS.get(type(exc), 500)
        if status == 400:
            return Invalid(f"invalid SPARQL query: {one_line(body)}")
        return http_error(self.endpoints.query, status, body, "query")

    def get_graph(self, name: str) -> rdflib.Graph:
        check_graph_name(name)
        if not self.endpoints.gsp:
            return self.query(_GRAPH, {"g": IRI(name)}).graph
        url = f"{self.endpoints.gsp}?{urllib.parse.urlencode({'graph': name})}"
        answer = self._http.request("GET", url, "graph read", ok_missing=True,
                                    headers={"Accept": "application/n-triples"})
        graph = rdflib.Graph()
        if answer is not None:
            fmt = ox.RdfFormat.from_media_type(_media_type(answer.content_type))
            for t in ox.parse(answer.body, format=fmt or ox.RdfFormat.N_TRIPLES):
                graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph

    def graph_names(self) -> list[str]:
        sparql = _GRAPH_NAMES_CHEAP if self.profile.lists_graphs_cheaply else _GRAPH_NAMES
        return sorted(row["g"] for row in self.select(sparql)
                      if row["g"] != META_GRAPH and not row["g"].startswith(STAGING_GRAPH_PREFIX))

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
    def _bump(self, graphs: Iterable[str] | None = None, under: Iterable[str] = ()) -> str:
        """The operations that count one write, on this thread's own counter, and log it as
        changing `graphs` (None: any graph)."""
        subject = getattr(self._writer, "subject", None)
        if subject is None:
            subject = self._writer.subject = f"{_WRITER_PREFIX}{uuid.uuid4().hex}"
        return revision_update_text(subject, graphs, under)

    def update(self, sparql: str) -> None:
        """Run an update and count it as a write of any graph, in the same request."""
        self.update_graphs(sparql, None)

    def update_graphs(self, sparql: str, graphs: Iterable[str] | None,
                      under: Iterable[str] = ()) -> None:
        if not sparql or not sparql.strip():
            raise Invalid("empty SPARQL update")
        names = None if graphs is None else [check_graph_name(name) for name in graphs]
        self._send_update(sparql.rstrip().rstrip(";") + " ;\n" + self._bump(names, list(under)))

    def _send_update(self, text: str, what: str = "update") -> None:
        self._http.request("POST", self.endpoints.update, what, body=text.encode(),
                           headers={"Content-Type": "application/sparql-update"})

    def apply(self, txn: Transaction) -> None:
        puts = [prepare(name, graph) for name, graph in txn.puts.items()]
        deletes = sorted(txn.deletes)
        if self.profile.atomic_updates:
            text = " ;\n".join(in_place_ops(puts, deletes) + [self._bump(_names(puts, deletes))])
            if len(text.encode()) <= self.max_request_bytes:
                self._send_update(text, "graph write")
                return
        self._write_staged(puts, deletes)

    def bulk_load(self, graphs: Iterable[tuple[str, GraphLike]], batch: int = 2000) -> int:
        """Many graphs in as few requests as fit `store_max_request_bytes`.

        Each graph is written whole; a batch is one request where requests are atomic and
        a staged write elsewhere, so readers may see a load part-way, never a graph part-way.
        """
        count, pending, size = 0, [], 0
        for name, graph in graphs:
            prepared = prepare(name, graph)
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
            text = " ;\n".join(in_place_ops(graphs, []) + [self._bump(_names(graphs, []))])
            if len(text.encode()) <= self.max_request_bytes:
                self._send_update(text, "graph write")
                return len(graphs)
            if len(graphs) > 1:
                # Two requests in place cost less than staging: that copies every graph twice
                # on the server, in three requests.
                half = len(graphs) // 2
                return self._load(graphs[:half]) + self._load(graphs[half:])
        self._write_staged(graphs, [])
        return len(graphs)

    def _write_staged(self, puts: list[Prepared], deletes: list[str]) -> None:
        """Write the new graphs under staging names, then switch them in and drop the copies."""
        staging = Staging()
        switches = [drop_op(name) for name in deletes]
        try:
            staged_ops = _Requests(self, "staged graph write")
            for graph in puts:
                if not graph.triples:  # an empty graph is simply dropped
                    switches.append(drop_op(graph.name))
                    continue
                staged = staging.stage(graph)
                op = staged.insert_op()
                if len(op.encode()) > self.max_request_bytes:
                    self._post_graph(staged)
                else:
                    staged_ops.add(op)
                switches.append(staging.switch_op(graph.name))
            staged_ops.flush()
        except TinyregError:
            self._drop_quietly(staging)
            raise
        # The revision moves after the switch, so a cache never keeps old contents under
        # the new revision; the copies go last.
        self._send_ops(switches + [self._bump(_names(puts, deletes))] + staging.cleanup_ops(),
                       "graph switch")

    def _drop_quietly(self, staging: Staging) -> None:
        try:
            self._send_ops(staging.cleanup_ops(), "staging clean-up")
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
