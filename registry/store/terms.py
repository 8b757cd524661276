"""Conversions between Python values, rdflib terms and pyoxigraph terms.

Bound values enter queries only as RDF terms built here, never as text pasted into a query.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import itertools
import re
from typing import Any, Mapping

import pyoxigraph as ox
import rdflib

from ..errors import Invalid

_XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {f"{_XSD}{t}" for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "negativeInteger",
    "nonPositiveInteger")}
FLOAT_TYPES = {f"{_XSD}{t}" for t in ("double", "float", "decimal")}
BOOLEAN = f"{_XSD}boolean"
_STRING = f"{_XSD}string"


class IRI(str):
    """Marks a Python string that is to be bound as an IRI rather than a literal."""


class OneOf(tuple):
    """Binds a variable to each of several values: the query answers for each of them."""


def to_python(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value (IRIs as str, typed literals by type)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        try:
            if dt in INTEGER_TYPES:
                return int(term.value)
            if dt in FLOAT_TYPES:
                return float(term.value)
            if dt == BOOLEAN:
                return term.value in ("true", "1")
        except ValueError:
            return term.value
        return term.value
    return str(term)


def to_oxigraph(value: Any) -> Any:
    """A Python value or rdflib term as a pyoxigraph term for binding into a query."""
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, IRI) or isinstance(value, rdflib.URIRef):
        try:
            return ox.NamedNode(str(value))
        except ValueError as exc:
            raise Invalid(f"not a valid IRI: {str(value)!r}") from exc
    if isinstance(value, rdflib.Literal):
        if value.datatype:
            return ox.Literal(str(value), datatype=ox.NamedNode(str(value.datatype)))
        if value.language:
            return ox.Literal(str(value), language=value.language)
        return ox.Literal(str(value))
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(BOOLEAN))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(f"{_XSD}integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(f"{_XSD}double"))
    if isinstance(value, decimal.Decimal):
        return ox.Literal(str(value), datatype=ox.NamedNode(f"{_XSD}decimal"))
    if isinstance(value, _dt.datetime):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(f"{_XSD}dateTime"))
    if isinstance(value, str):
        return ox.Literal(value)
    raise Invalid(f"cannot bind a {type(value).__name__} into a query")


def to_rdflib(term: Any, exact: bool = False) -> Any:
    """The rdflib term; `exact` keeps a literal's text as written, where rdflib would
    rewrite it in its canonical form (and "1E+99999999"^^xsd:decimal as 100 million
    digits): for text from strangers."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        normalize = False if exact else None
        if term.language:
            return rdflib.Literal(term.value, lang=term.language, normalize=normalize)
        if term.datatype.value == _STRING:
            # RDF 1.1 says a simple literal is an xsd:string; rdflib keeps them apart.
            return rdflib.Literal(term.value, normalize=normalize)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value),
                              normalize=normalize)
    raise TypeError(f"not an RDF term: {term!r}")


def decimal_literal(value: float | decimal.Decimal) -> rdflib.Literal:
    """A measured number as the registry writes it: xsd:decimal of at most 15 significant
    digits and 15 after the point. A double would not survive every server (Virtuoso
    answers doubles with six significant digits: 0.003921568859368563 as 0.00392157), and
    Virtuoso keeps 15 digits after a decimal point; 15 significant digits are what a double
    holds exactly, and more than a float32 quantization scale needs (9)."""
    number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(repr(float(value)))
    rounded = decimal.Context(prec=15).plus(number)
    if rounded.as_tuple().exponent < -15:
        rounded = rounded.quantize(decimal.Decimal(1).scaleb(-15))
    rounded = rounded.normalize()
    return rdflib.Literal(format(rounded, "f"), datatype=rdflib.XSD.decimal)


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def values_block(names: list[str], rows) -> str:
    """A VALUES block binding `names` to each row of values, for a caller that places it
    in its query itself; the terms are serialised by pyoxigraph, as bindings are."""
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise Invalid(f"not a SPARQL variable name: {name!r}")
    body = " ".join(f"({' '.join(str(to_oxigraph(v)) for v in row)})" for row in rows)
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ {body} }} "


def inline_bindings(sparql: str, bindings: Mapping[str, Any]) -> str:
    """The query with a VALUES block that binds `bindings`, opening each WHERE group.

    Each value is turned into an RDF term and serialised by pyoxigraph (which escapes
    literals and rejects invalid IRIs), so the inserted text is always well-formed terms,
    never raw user text. VALUES first lets the engine join on the bound values early. A
    bound variable means the same value everywhere, so sub-queries get the block too:
    SPARQL evaluates a sub-query on its own, and without it an aggregate sub-query would
    be computed for every model or device before the join threw most of it away.
    A `OneOf` value gives the block one row per value; as every group gets the block,
    every group of such a query must use that variable, or its rows would repeat.
    """
    columns = [list(value) if isinstance(value, OneOf) else [value] for value in bindings.values()]
    block = values_block(list(bindings), itertools.product(*columns))
    positions = [m.end() for m in _WHERE.finditer(sparql)]
    if not positions:
        first = sparql.find("{") + 1
        if first <= 0:
            raise Invalid("query has no group pattern to bind values into")
        positions = [first]
    out, last = [], 0
    for pos in positions:
        out += [sparql[last:pos], block]
        last = pos
    out.append(sparql[last:])
    return "".join(out)
