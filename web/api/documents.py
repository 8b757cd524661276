"""The ontology and the SHACL shapes at stable URLs, by content negotiation.

`/ontology` and `/shapes` answer Turtle, N-Triples, RDF/XML or JSON-LD as the client
asks; a browser asking for HTML gets documentation generated from the ontology itself.
Each serialisation is made once per process. `/ontology/changelog` is the ontology's
changelog, which the ontology links to (rdfs:seeAlso).
"""
from __future__ import annotations

import functools

import rdflib
from flask import Blueprint, Response, render_template

from tinyreg.registry.resources import changelog_file, ontology_graph, shapes_graph

from ..negotiation import choose, graph_bytes, rdf_response
from ..sparql.results import format_named
from .vocabulary import documentation

bp = Blueprint("documents", __name__)
_SOURCES = {"ontology": ontology_graph, "shapes": shapes_graph}


@functools.lru_cache(maxsize=None)
def _document(which: str, fmt_name: str) -> bytes:
    # A copy: the shared parsed graphs must stay as they are.
    source = _SOURCES[which]()
    graph = rdflib.Graph()
    graph += source
    # The copy keeps the files' prefixes, so people read trs:, not an invented ns1:.
    for prefix, namespace in source.namespaces():
        graph.bind(prefix, namespace, override=False)
    return graph_bytes(graph, format_named("graph", fmt_name))


@bp.route("/ontology")
def ontology() -> Response:
    fmt = choose("graph", extra=("text/html",))
    if fmt == "text/html":
        return render_template("ontology.html", doc=documentation())
    return rdf_response(_document("ontology", fmt.name), fmt, filename="tinyreg-ontology")


@bp.route("/ontology/changelog")
def changelog() -> Response:
    return Response(_changelog(), mimetype="text/markdown")


@functools.lru_cache(maxsize=1)
def _changelog() -> str:
    return changelog_file().read_text(encoding="utf-8")


@bp.route("/shapes")
def shapes() -> Response:
    fmt = choose("graph", extra=("text/html",))
    if fmt == "text/html":
        turtle = _document("shapes", "turtle").decode()
        return render_template("shapes.html", turtle=turtle)
    return rdf_response(_document("shapes", fmt.name), fmt, filename="tinyreg-shapes")
