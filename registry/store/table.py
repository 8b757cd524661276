"""SELECT answers as columns, for readers that take hundreds of thousands of rows at once.

`Store.select` gives a dict per row with every term converted, which is what most callers
want and costs microseconds a row in Python. `Store.table` gives the same answer as one
list per variable of the terms' text in the SPARQL 1.1 TSV results syntax, which both
stores produce in Rust (the embedded database directly, the remote store from the parsed
JSON answer). Equal terms have equal text, so a reader can intern cells as they are and
convert each distinct term once with `tsv_value`, which gives what `to_python` gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .terms import BOOLEAN, FLOAT_TYPES, INTEGER_TYPES

_LITERAL = re.compile(r'"(.*)"(?:@[A-Za-z0-9-]+|\^\^<([^>]*)>)?', re.S)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_CHARACTERS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(match: re.Match) -> str:
    code = match.group(1) or match.group(2)
    if code:
        return chr(int(code, 16))
    char = match.group(3)
    return _CHARACTERS.get(char, char)


def tsv_value(text: str) -> Any:
    """A term in TSV syntax as a plain Python value, as `to_python` converts it: None when
    unbound, IRIs as str, blank nodes as "_:label", typed literals by datatype."""
    if not text:
        return None
    first = text[0]
    if first == "<":
        return text[1:-1]
    if first == "_":
        return text
    if first == '"':
        match = _LITERAL.fullmatch(text)
        if match is None:
            return text
        value = _ESCAPE.sub(_unescape, match.group(1)) if "\\" in match.group(1) else match.group(1)
        datatype = match.group(2)
        try:
            if datatype in INTEGER_TYPES:
                return int(value)
            if datatype in FLOAT_TYPES:
                return float(value)
        except ValueError:
            return value
        if datatype == BOOLEAN:
            return value in ("true", "1")
        return value
    # The Turtle shorthands: an integer, a decimal, a double or a boolean.
    if text == "true" or text == "false":
        return text == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@dataclass
class Table:
    """A SELECT answer: for each variable, one cell per row in TSV term syntax ("" unbound)."""
    variables: list[str]
    cells: dict[str, list[str]]
    _values: dict[str, list] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.cells[self.variables[0]]) if self.variables else 0

    def values(self, name: str) -> list:
        """The column of `name` as Python values (each distinct term converted once)."""
        if name not in self._values:
            seen: dict[str, Any] = {}
            out = []
            for text in self.cells[name]:
                value = seen.get(text, seen)
                if value is seen:
                    value = seen[text] = tsv_value(text)
                out.append(value)
            self._values[name] = out
        return self._values[name]

    @classmethod
    def from_tsv(cls, data: bytes) -> "Table":
        lines = data.decode("utf-8").split("\n")
        variables = [v[1:] for v in lines[0].split("\t")] if lines[0] else []
        rows = lines[1:-1] if lines[-1] == "" else lines[1:]
        width = len(variables)
        if width == 0:
            return cls([], {})
        if width == 1:
            return cls(variables, {variables[0]: rows})
        # Every row has width - 1 tabs (TSV escapes tabs inside literals), so one split of
        # the joined rows lays the cells out row by row.
        cells = "\t".join(rows).split("\t") if rows else []
        return cls(variables, {name: cells[j::width] for j, name in enumerate(variables)})

    @classmethod
    def from_solutions(cls, solutions: ox.QuerySolutions) -> "Table":
        return cls.from_tsv(solutions.serialize(format=ox.QueryResultsFormat.TSV))
