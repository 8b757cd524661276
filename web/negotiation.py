"""Content negotiation shared by the endpoint, the API and the documents (Accept with q-values)."""
from __future__ import annotations

import functools

import rdflib
from flask import Response, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from tinyreg.registry.errors import Invalid
from tinyreg.registry.vocab import PREFIXES

from .sparql.results import ALIASES, Format, format_named, formats_for

# rdflib plugin names for the graph formats, for documents held as rdflib graphs.
_RDFLIB = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


class NotAcceptable(Invalid):
    status = 406
    title = "Not acceptable"


def choose(kind: str, extra: tuple[str, ...] = ()) -> Format | str:
    """The best format for this request: an explicit `format=` first, then the Accept header.

    `extra` are further media types the caller can produce (e.g. text/html); when one of
    them wins, it is returned as a plain string. Ties go to the first offer, so the first
    format of each kind is the default (SPARQL JSON results, Turtle).
    """
    for value in request.args.getlist("format") + request.form.getlist("format"):
        named = format_named(kind, value)
        if named is not None:
            return named
    accept = request.headers.get("Accept", "")
    best = _negotiated(kind, extra, accept)
    if best is None:
        main = [f.media_type for f in formats_for(kind)]
        raise NotAcceptable(f"none of the accepted media types ({accept}) can be produced; "
                            f"try one of: {', '.join(main + list(extra))}")
    return best


def acceptable(kind: str) -> Format | None:
    """The format `choose` would pick for this kind of result, or None where it would refuse."""
    try:
        best = choose(kind)
    except NotAcceptable:
        return None
    return best if isinstance(best, Format) else None


# Clients send the same few Accept headers over and over: each is matched against the
# offers once (about 0.2 ms a request otherwise).
@functools.lru_cache(maxsize=512)
def _negotiated(kind: str, extra: tuple[str, ...], accept: str) -> Format | str | None:
    accepted = parse_accept_header(accept, MIMEAccept)
    if not accepted:
        return formats_for(kind)[0]
    offers = ([f.media_type for f in formats_for(kind)]
              + [a for a in ALIASES[kind] if "/" in a] + list(extra))
    best = accepted.best_match(offers)
    if best is None or best in extra:
        return best
    return format_named(kind, best)


def graph_bytes(graph: rdflib.Graph, fmt: Format) -> bytes:
    """An rdflib graph in the chosen RDF syntax, with our usual prefixes bound."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=False)
    return graph.serialize(format=_RDFLIB[fmt.name], encoding="utf-8")


def rdf_response(body: rdflib.Graph | bytes, fmt: Format, *,
                 filename: str | None = None) -> Response:
    if isinstance(body, rdflib.Graph):
        body = graph_bytes(body, fmt)
    response = Response(body, mimetype=fmt.media_type)
    response.vary.add("Accept")
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}.{fmt.extension}"'
    return response
