"""What a fleet keeps in arrays: every value it read, by id, and rows of ids.

`Terms` gives each distinct value one id. Cells arrive as text in the SPARQL TSV syntax
(`Store.table`); each new text is converted once, and two texts of one value (an IRI and
a string literal, "1" and "01" as integers) share the id, as the engine compares Python
values. A column of a query's answer is then an integer array, and a number a lookup.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..store.table import tsv_value


def value_key(value: Any) -> tuple:
    """A hashable key that keeps RDF terms apart that Python would merge (true and 1)."""
    return (type(value).__name__, value)


def lexical(value: Any) -> str:
    """The text SPARQL's STR() gives for a value read from the store."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Terms:
    """Every value read, by id; id 0 is "unbound"."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {"": 0}
        self._by_key: dict[tuple, int] = {}
        self.values: list[Any] = [None]
        self._numbers = np.full(1, np.nan)

    def __len__(self) -> int:
        return len(self.values)

    def ids(self, cells: list[str]) -> np.ndarray:
        """The id of each cell (TSV text), giving new values new ids."""
        ids = self._ids
        for text in set(cells).difference(ids):
            value = tsv_value(text)
            key = value_key(value)
            found = self._by_key.get(key)
            if found is None:
                found = self._by_key[key] = len(self.values)
                self.values.append(value)
            ids[text] = found
        return np.array([ids[text] for text in cells], dtype=np.int64)

    def iris(self, iris: Iterable[str]) -> np.ndarray:
        return self.ids([f"<{iri}>" for iri in iris])

    def iri(self, iri: str) -> int | None:
        """The id of an IRI already read, else None."""
        return self._ids.get(f"<{iri}>")

    def find(self, value: Any) -> int | None:
        return self._by_key.get(value_key(value))

    def numbers(self) -> np.ndarray:
        """Each id's value as a float; NaN where it is not a number (booleans are not)."""
        if len(self._numbers) < len(self.values):
            start = len(self._numbers)
            more = [float(v) if is_number(v) else np.nan for v in self.values[start:]]
            self._numbers = np.concatenate([self._numbers, np.array(more, dtype=np.float64)])
        return self._numbers[:len(self.values)]

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """A boolean array over every id, true for `ids`."""
        out = np.zeros(len(self.values), dtype=bool)
        out[ids] = True
        return out


@dataclass(frozen=True)
class Facts:
    """The rows of one entity query: the entity (?e) and each other variable, as ids."""
    entity: np.ndarray
    columns: dict[str, np.ndarray]

    def where(self, keep: np.ndarray) -> "Facts":
        return Facts(self.entity[keep], {k: v[keep] for k, v in self.columns.items()})

    def plus(self, other: "Facts") -> "Facts":
        return Facts(np.concatenate([self.entity, other.entity]),
                     {k: np.concatenate([v, other.columns[k]]) for k, v in self.columns.items()})
