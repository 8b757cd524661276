"""Query results as the bytes of each SPARQL result format, row-capped.

The endpoint collects at most `max_rows` solutions (or triples) from the store's result
iterator and serialises what it collected here. Results are pyoxigraph terms: the embedded
store yields them directly, and a remote store can produce them with
`pyoxigraph.parse_query_results` / `pyoxigraph.parse`, so one serialiser serves both. The
query workers import this module, so it imports nothing of the registry (the prefixes for
RDF output are given).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _string  # a JSON string literal (C)
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass
class Collected:
    """What one query answered, as far as the row cap let it be read."""
    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)  # per row, one term or None per variable
    triples: list[ox.Triple] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False

    @property
    def size(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)


@dataclass(frozen=True)
class Format:
    name: str        # short name used by `?format=` and downloads
    media_type: str  # what the response says it is
    extension: str
    kind: str        # "results" (SELECT/ASK) or "graph" (CONSTRUCT/DESCRIBE)


RESULT_FORMATS = (
    Format("json", "application/sparql-results+json", "srj", "results"),
    Format("xml", "application/sparql-results+xml", "srx", "results"),
    Format("csv", "text/csv", "csv", "results"),
    Format("tsv", "text/tab-separated-values", "tsv", "results"),
)
GRAPH_FORMATS = (
    Format("turtle", "text/turtle", "ttl", "graph"),
    Format("ntriples", "application/n-triples", "nt", "graph"),
    Format("rdfxml", "application/rdf+xml", "rdf", "graph"),
    Format("jsonld", "application/ld+json", "jsonld", "graph"),
)
# Other names clients use for the same formats (SPARQLWrapper's `format=` values, aliases).
ALIASES = {
    "results": {"application/json": "json", "text/javascript": "json",
                "application/javascript": "json", "application/xml": "xml", "text/xml": "xml",
                "srj": "json", "srx": "xml"},
    "graph": {"application/turtle": "turtle", "application/x-turtle": "turtle", "n3": "turtle",
              "text/n3": "turtle", "text/rdf+n3": "turtle", "ttl": "turtle", "nt": "ntriples",
              "text/plain": "ntriples", "n-triples": "ntriples", "xml": "rdfxml",
              "rdf+xml": "rdfxml", "rdf": "rdfxml", "application/xml": "rdfxml",
              "text/xml": "rdfxml", "json-ld": "jsonld", "application/x-json+ld": "jsonld",
              "json": "jsonld", "application/json": "jsonld"},
}
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}


def formats_for(kind: str) -> tuple[Format, ...]:
    """`kind` is "results" (SELECT, ASK) or "graph" (CONSTRUCT, DESCRIBE)."""
    return GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS


def format_named(kind: str, name: str) -> Format | None:
    """The format a `format=` value names for this kind of result, if any."""
    name = name.strip().lower()
    for fmt in formats_for(kind):
        if name in (fmt.name, fmt.media_type, fmt.extension):
            return fmt
    alias = ALIASES[kind].get(name)
    return next((f for f in formats_for(kind) if f.name == alias), None)


def serialize(result: Collected, fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    """The result in `fmt`; graphs are written with `prefixes` (prefix -> namespace)."""
    if result.kind == "graph":
        return ox.serialize(result.triples, format=_RDF_FORMATS[fmt.name], prefixes=prefixes)
    return _WRITERS[fmt.name](result)


def _json_term(term: Any) -> str:
    """One term as its SPARQL JSON object, written as text: building a dict per term and
    dumping them all took twice as long (0.5 s for 40,000 rows of four terms)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _string(term.value) + "}"
    if isinstance(term, ox.Literal):
        value = '{"type":"literal","value":' + _string(term.value)
        if term.language:
            return value + ',"xml:lang":' + _string(term.language) + "}"
        datatype = term.datatype.value
        if datatype != XSD_STRING:
            return value + ',"datatype":' + _string(datatype) + "}"
        return value + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _string(term.value) + "}"
    if isinstance(term, ox.Triple):
        return ('{"type":"triple","value":{"subject":' + _json_term(term.subject)
                + ',"predicate":' + _json_term(term.predicate)
                + ',"object":' + _json_term(term.object) + "}}")
    raise TypeError(f"not an RDF term: {term!r}")


def _json(result: Collected) -> bytes:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}).encode()
    keys = [_string(v) + ":" for v in result.variables]
    bindings = ",".join("{" + ",".join(k + _json_term(t) for k, t in zip(keys, row) if t is not None)
                        + "}" for row in result.rows)
    return ('{"head":{"vars":' + json.dumps(result.variables, ensure_ascii=False)
            + '},"results":{"bindings":[' + bindings + "]}}").encode()


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{escape(term.value)}</literal>")
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return ("<triple>" + "".join(f"<{part}>{_xml_term(getattr(term, part))}</{part}>"
                                     for part in ("subject", "predicate", "object")) + "</triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _xml(result: Collected) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out.append("</head>")
    if result.kind == "ask":
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                    for v, t in zip(result.variables, row) if t is not None]
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>\n")
    return "".join(out).encode()


def _csv_value(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def _csv(result: Collected) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
    else:
        writer.writerow(result.variables)
        writer.writerows([_csv_value(t) for t in row] for row in result.rows)
    return buf.getvalue().encode()


def _tsv(result: Collected) -> bytes:
    # Terms in their N-Triples form, which pyoxigraph's str() gives with escapes applied.
    if result.kind == "ask":
        return f"?boolean\n{'true' if result.boolean else 'false'}\n".encode()
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode()


_WRITERS = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}
