"""A query to a SPARQL server and its answer read back, whatever the server's dialect.

Servers agree on the result formats but not on every detail of them:

- Virtuoso names blank nodes `nodeID://b10077` in JSON results, which is no blank node label
  (pyoxigraph refuses it); it becomes `_:b10077`, the label Virtuoso itself uses in N-Triples.
- Virtuoso answers an ASK in JSON as a SELECT of one variable `__ASK_RETVAL` (one row of 1
  when true, no row when false) instead of `{"boolean": ...}`.

The query form decides what the answer can be and which formats to ask for; an update is
refused here, before it reaches a query endpoint (Virtuoso runs updates sent to it).
"""
from __future__ import annotations

import json
import re

import pyoxigraph as ox

from ..errors import Invalid

RESULTS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"

# The prologue (PREFIX and BASE declarations, comments) before the query form's keyword.
_PROLOGUE = re.compile(
    r"(?:\s+|#[^\n]*(?:\n|$)|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.IGNORECASE)
_FORM = re.compile(r"[A-Za-z]+")
_QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_UPDATE_FORMS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                 "WITH"}

# A blank node in Virtuoso's JSON: the label after the scheme is a valid one. Only the
# structure of the document can match (inside a JSON string every quote is escaped).
_NODE_ID = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_ASK_VARIABLE = "__ASK_RETVAL"


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; Invalid for an update or anything else."""
    start = _PROLOGUE.match(sparql).end()
    word = _FORM.match(sparql, start)
    form = word.group(0).upper() if word else ""
    if form in _QUERY_FORMS:
        return form
    if form in _UPDATE_FORMS:
        raise Invalid("invalid SPARQL query: this is an update, not a query")
    raise Invalid(f"invalid SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE "
                  f"after the prologue, found {sparql[start:start + 20]!r}")


def parse_results(body: bytes, media_type: str, form: str):
    """A SELECT or ASK answer as pyoxigraph's QuerySolutions or QueryBoolean."""
    fmt = ox.QueryResultsFormat.from_media_type(media_type) or ox.QueryResultsFormat.JSON
    if fmt == ox.QueryResultsFormat.JSON:
        body = _NODE_ID.sub(rb"\1", body)
        if form == "ASK" and _ASK_VARIABLE.encode() in body:
            body = _ask_as_boolean(body)
    return ox.parse_query_results(body, format=fmt)


def _ask_as_boolean(body: bytes) -> bytes:
    document = json.loads(body)
    if document.get("head", {}).get("vars") != [_ASK_VARIABLE]:
        return body
    rows = document.get("results", {}).get("bindings", [])
    answer = any(row.get(_ASK_VARIABLE, {}).get("value") in ("1", "true") for row in rows)
    return json.dumps({"head": {}, "boolean": answer}).encode()


def parse_graph(body: bytes, media_type: str):
    """A CONSTRUCT or DESCRIBE answer (or a Graph Store read) as pyoxigraph triples."""
    fmt = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
    return ox.parse(body, format=fmt)
