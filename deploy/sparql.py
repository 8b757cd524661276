"""VALUES blocks for queries and updates over many deployments or devices at once.

A rollout reads and writes hundreds of records per wave; one request with a VALUES block
beats hundreds of requests. Every value becomes an RDF term through the store's own
conversion (pyoxigraph escapes literals and rejects malformed IRIs), so no text from a
device or a user reaches the SPARQL as text.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from tinyreg.registry.store import IRI
from tinyreg.registry.store.terms import to_oxigraph

UNDEF = None


def term(value: Any) -> str:
    return "UNDEF" if value is UNDEF else str(to_oxigraph(value))


def values(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """`VALUES (?a ?b) { (x y) … }`; None is UNDEF."""
    body = " ".join("(" + " ".join(term(v) for v in row) + ")" for row in rows)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ {body} }}"


def iris(name: str, items: Iterable[str]) -> str:
    return values([name], ([IRI(i)] for i in items))
