"""N-Triples terms as plain strings: what the device importers write and the store parses.

A device graph is a few dozen triples; building rdflib terms for each (and serialising them
again) cost more than reading the file. Terms here are their N-Triples text: `<iri>`,
`_:label` or a quoted literal, so a triple is three strings and a graph is their lines.
"""
from __future__ import annotations

import os
import re
import secrets
from itertools import count

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from ..errors import Invalid

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_INTEGER = f"<{XSD}integer>"
XSD_ANYURI = XSD + "anyURI"
TRUE, FALSE = f'"true"^^<{XSD}boolean>', f'"false"^^<{XSD}boolean>'

_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(?:@([^ ]+)|\^\^<([^>]*)>)?$', re.DOTALL)
_ESCAPE = re.compile(r'\\[\\"nr]')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r"}


def literal(text: str, datatype: str | None = None, language: str | None = None) -> str:
    """A literal; xsd:string is left implicit, as RDF 1.1 makes it. A language tag or a
    datatype the store would not take is refused here, naming it."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if language:
        if language not in _LANGUAGES:
            _check(language, _LANGUAGES, lambda: ox.Literal("", language=language), "language tag")
        return f'"{text}"@{language}'
    if datatype and datatype != XSD_STRING:
        if datatype not in _DATATYPES:
            _check(datatype, _DATATYPES, lambda: ox.NamedNode(datatype), "datatype IRI")
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


# Tags and datatypes already checked (a fleet uses a handful).
_LANGUAGES: set[str] = set()
_DATATYPES: set[str] = {XSD + "integer", XSD + "boolean", XSD + "double", XSD_ANYURI}


def _check(value: str, known: set[str], make, what: str) -> None:
    try:
        make()
    except ValueError:
        raise Invalid(f"{value!r} is not a valid {what}") from None
    if len(known) < 10_000:
        known.add(value)


def integer(value: int) -> str:
    return f'"{int(value)}"^^{XSD_INTEGER}'


def boolean(value: bool) -> str:
    return TRUE if value else FALSE


def lexical(term: str) -> str:
    """What `str()` of the rdflib term would say: a literal's text, an IRI, a blank node's label."""
    if term[0] == "<":
        return term[1:-1]
    if term[0] == "_":
        return term[2:]
    text = term[1:term.rfind('"')]  # a datatype IRI or language tag holds no quote
    return _ESCAPE.sub(lambda m: _UNESCAPE[m.group(0)], text) if "\\" in text else text


def to_rdflib(term: str):
    """The rdflib term a string term stands for (for the few values kept as terms in facts)."""
    if term[0] == "<":
        return URIRef(term[1:-1])
    if term[0] == "_":
        return BNode(term[2:])
    match = _LITERAL.match(term)
    language, datatype = match.group(2), match.group(3)
    return Literal(lexical(term), lang=language, datatype=URIRef(datatype) if datatype else None)


def from_rdflib(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return literal(str(term), str(term.datatype) if term.datatype else None, term.language)


class _Labels:
    """Blank node labels unique beyond one graph: a random token per process and a counter.

    Oxigraph refuses one label shared by two graphs of an update request, and a bulk load
    reads many devices' triples as one document, so two devices must never share a label,
    even when worker processes write them.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.prefix = f"_:t{secrets.token_hex(6)}x"
        self.counter = count()

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter):x}"


blank = _Labels()
os.register_at_fork(after_in_child=blank.reset)
