"""What tinyreg needs to know about each kind of SPARQL 1.1 server (setting `store_profile`).

Servers agree on the protocols but not on three things the registry depends on:

- Where the update and Graph Store endpoints live, given the query endpoint.
- How a query gets the union of all named graphs as its default graph (the registry keeps
  everything in named graphs and queries their union, as the embedded store does).
- Whether one SPARQL Update request is one transaction. Where it is, a transaction of graph
  writes goes out as one request; where it is not, the graphs are written under other names
  first and then switched in (see `staging.py`), so no reader meets a half-replaced graph.

Only the `oxigraph` profile is exercised by the test suite (against a real `oxigraph serve`);
the others follow each server's documentation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..errors import Invalid


def _swap_tail(url: str, tails: tuple[str, ...], new: str) -> str | None:
    """`url` with its last path segment (one of `tails`) replaced by `new`; None if none matches."""
    base = url.rstrip("/")
    for tail in tails:
        if base.endswith("/" + tail):
            return base[: -len(tail)] + new
    return None


@dataclass(frozen=True)
class Profile:
    name: str
    # From the query endpoint to the update / Graph Store endpoints; None when unknown.
    update_url: Callable[[str], str | None]
    gsp_url: Callable[[str], str | None]
    # Extra protocol parameters that make a query's default graph the union of named graphs
    # (empty when the server does that by itself).
    union_parameters: dict[str, str] = field(default_factory=dict)
    # One update request is one transaction on this server.
    atomic_updates: bool = True
    # `GRAPH ?g {}` lists the named graphs without scanning their triples.
    lists_graphs_cheaply: bool = False
    # Virtuoso answers HTTP digest authentication, the others basic.
    digest_auth: bool = False
    # Graphs one request may switch in, and drop the staged copies of (0: any number):
    # Virtuoso refused a request of 150-200 switches, one operation a graph, and one of
    # 1,000 staged copies dropped ("SQ200"/"SQ156: Query too large, variables in state
    # over the limit").
    switches_per_request: int = 0
    # Graphs the server keeps for itself, by name prefix: never listed as the registry's.
    system_graphs: tuple[str, ...] = ()
    # Words in a failed update's answer that mean the server rolled the whole request back
    # and it may be sent again as it is (a deadlock between concurrent writers).
    rolled_back: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {p.name: p for p in (
    # Oxigraph server: /query, /update, /store. Its default graph is its own unless the
    # server runs with --union-default-graph; the `union-default-graph` request parameter
    # gives the union either way. Each update request is one transaction. Its Graph Store
    # PUT clears the graph and then loads the body as two steps, so tinyreg replaces graphs
    # with SPARQL Update and uses the Graph Store only to read and to stage.
    Profile("oxigraph",
            update_url=lambda q: _swap_tail(q, ("query",), "update"),
            gsp_url=lambda q: _swap_tail(q, ("query",), "store"),
            union_parameters={"union-default-graph": ""},
            lists_graphs_cheaply=True),
    # Apache Jena Fuseki with TDB2: /ds/query (or /ds/sparql), /ds/update, /ds/data. The
    # union default graph comes from the dataset's `tdb2:unionDefaultGraph true`, or per
    # request from the default graph `urn:x-arq:UnionGraph`, which this profile asks for.
    Profile("fuseki",
            update_url=lambda q: _swap_tail(q, ("query", "sparql"), "update"),
            gsp_url=lambda q: _swap_tail(q, ("query", "sparql"), "data"),
            union_parameters={"default-graph-uri": "urn:x-arq:UnionGraph"}),
    # Ontotext GraphDB: the repository URL answers queries; updates go to its /statements,
    # the Graph Store is /rdf-graphs/service. Its default graph already reads every graph.
    Profile("graphdb",
            update_url=lambda q: q.rstrip("/") + "/statements",
            gsp_url=lambda q: q.rstrip("/") + "/rdf-graphs/service"),
    # OpenLink Virtuoso: /sparql-auth (or /sparql without credentials) answers queries and,
    # for a user with SPARQL_UPDATE, updates; the authenticated Graph Store is
    # /sparql-graph-crud-auth; both want digest authentication.
    # Large updates run into its transaction log limit unless it commits row by row, so
    # tinyreg never relies on a request being atomic there.
    Profile("virtuoso",
            update_url=lambda q: q,
            gsp_url=lambda q: _swap_tail(q, ("sparql-auth", "sparql"), "sparql-graph-crud-auth"),
            atomic_updates=False, digest_auth=True, switches_per_request=100,
            # SQLSTATE 40001 ("SR172: Transaction deadlocked"): three processes writing at
            # once hit it on this machine; Virtuoso rolls the deadlocked request back.
            rolled_back=("40001",),
            system_graphs=("http://www.openlinksw.com/", "http://localuriqaserver/",
                           "http://www.w3.org/ns/ldp#", "virtrdf-", "urn:activitystreams-owl:")),
    # Amazon Neptune: /sparql for queries and updates, each update one transaction, and the
    # default graph is the union of all graphs. No Graph Store endpoint is assumed.
    Profile("neptune", update_url=lambda q: q, gsp_url=lambda q: None),
    # Any other SPARQL 1.1 server: store_update_url must be given, store_gsp_url may be, the
    # default graph must already be the union (checked at run time), and no request is
    # assumed to be atomic.
    Profile("generic", update_url=lambda q: None, gsp_url=lambda q: None,
            atomic_updates=False),
)}


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    gsp: str | None


def endpoints(profile: Profile, query_url: str, update_url: str = "",
              gsp_url: str = "") -> Endpoints:
    """The three endpoints: the ones given, else derived from the query URL by the profile."""
    if not query_url.startswith(("http://", "https://")):
        raise Invalid(f"setting store_url: not an http(s) URL: {query_url!r}")
    update = update_url or profile.update_url(query_url)
    if not update:
        raise Invalid(f"setting store_update_url is needed: the {profile.name} profile cannot "
                      f"derive the update endpoint from {query_url}")
    return Endpoints(query_url, update, gsp_url or profile.gsp_url(query_url))


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise Invalid(f"setting store_profile: unknown server profile {name!r} "
                      f"(one of {', '.join(PROFILES)})") from None
