"""Columns from the store: what the engine compiles the constraints against.

A `Fleet` reads the model versions and devices of the store with a few SELECT queries (no
query per device) and hands the patterns their columns: a number per entity for a
property, whether an entity states a property, class membership, sets of values. Each
entity's facts are read from its own named graph (the graph name is its IRI), reference
facts (classes, labels, runtimes) from the union, as pySHACL sees them in a candidate graph.
A fleet can be narrowed to one model version and one device for a single check.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from ..errors import NotFound
from ..store import IRI, Store

_PREFIXES = """
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
"""

# Starting from the class hierarchy is several times faster than grouping over all graphs.
_ENTITIES = _PREFIXES + """
SELECT ?e ?name WHERE {
  ?kind rdfs:subClassOf* ?root .
  GRAPH ?e { ?e a ?kind . OPTIONAL { ?e schema:name ?name } }
}
"""

_VALUES_OF = "SELECT ?e ?x WHERE { GRAPH ?e { ?e ?p ?x } }"

_IN_CLASS = _PREFIXES + """
SELECT DISTINCT ?e WHERE { GRAPH ?e { ?e a ?kind } ?kind rdfs:subClassOf* ?cls }
"""

_LABELS = _PREFIXES + """
SELECT ?x ?l WHERE { ?x rdfs:label ?l FILTER (LANGMATCHES(LANG(?l), "en")) }
"""

_LOCAL_NAME = re.compile(r"^.*[/#]")
_TR = "https://w3id.org/tinyreg/ontology#"


def value_key(value: Any) -> tuple:
    """A hashable key that keeps RDF terms apart that Python would merge (true and 1)."""
    return (type(value).__name__, value)


def lexical(value: Any) -> str:
    """The text SPARQL's STR() gives for a value read from the store."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Fleet:
    """The model versions and devices of one store revision, and queries over them."""

    def __init__(self, store: Store, model: str | None = None, device: str | None = None):
        self.store = store
        self.revision = store.revision()
        self._only = {"model": model, "device": device}
        # Several constraints read the same columns (flash, device classes, runtimes): each
        # query runs once per load; `loaded()` drops the rows once everything is compiled.
        self._memo: dict[tuple, list[dict]] = {}
        self._classes: dict[str | None, np.ndarray] = {}
        self.models, self.model_names = self._entities("model", f"{_TR}ModelVersion", "model version")
        self.devices, self.device_names = self._entities("device", f"{_TR}Device", "device")
        self.model_index = {iri: i for i, iri in enumerate(self.models)}
        self.device_index = {iri: i for i, iri in enumerate(self.devices)}
        # Read now, so that explanations given later speak of this revision.
        self._labels: dict[str, str] = {}
        for row in store.select(_LABELS):
            self._labels.setdefault(row["x"], str(row["l"]))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.models), len(self.devices)

    # ---- reading
    def select(self, query: str, side: str | None = None, **bindings: Any) -> list[dict]:
        """Rows of `query`, narrowed to this fleet's model or device when it has one.

        `side` names the variable ?e stands for ("model" or "device").
        """
        bound = {k: IRI(v) if isinstance(v, str) else v for k, v in bindings.items()}
        if side is not None and self._only[side] is not None:
            bound["e"] = IRI(self._only[side])
        key = (query, tuple(sorted(bound.items())))
        if key not in self._memo:
            self._memo[key] = self.store.select(query, bound or None)
        return self._memo[key]

    def loaded(self) -> None:
        """Forget the rows read while compiling; the arrays keep what is needed."""
        self._memo.clear()

    def _entities(self, side: str, root: str, what: str) -> tuple[list[str], list]:
        names: dict[str, str | None] = {}
        for row in self.select(_ENTITIES, side, root=root):
            if names.get(row["e"]) is None:
                names[row["e"]] = row.get("name")
        if self._only[side] is not None and not names:
            raise NotFound(f"no {what} {self._only[side]}")
        iris = sorted(names)
        return iris, [names[iri] for iri in iris]

    def values(self, side: str, prop: str) -> dict[int, list]:
        """Each entity's values of `prop` (entities without one are absent)."""
        index = self.model_index if side == "model" else self.device_index
        out: dict[int, list] = defaultdict(list)
        for row in self.select(_VALUES_OF, side, p=prop):
            i = index.get(row["e"])
            if i is not None:
                out[i].append(row["x"])
        return out

    def rows(self, side: str, query: str, **bindings: Any) -> Iterable[tuple[int, dict]]:
        """(entity index, row) for a query whose ?e is the entity."""
        index = self.model_index if side == "model" else self.device_index
        for row in self.select(query, side, **bindings):
            i = index.get(row["e"])
            if i is not None:
                yield i, row

    def numbers(self, side: str, prop: str, pick=max) -> np.ndarray:
        """One number per entity (NaN when none is stated or it is not a number).

        With several values `pick` chooses the one that decides the verdict (the largest
        need, the smallest capacity), as the SHACL query reports a result for any of them.
        """
        n = len(self.models) if side == "model" else len(self.devices)
        out = np.full(n, np.nan)
        for i, found in self.values(side, prop).items():
            numbers = [v for v in found if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers:
                out[i] = pick(numbers)
        return out

    def has(self, side: str, prop: str) -> np.ndarray:
        n = len(self.models) if side == "model" else len(self.devices)
        out = np.zeros(n, dtype=bool)
        out[list(self.values(side, prop))] = True
        return out

    def in_class(self, cls: str | None) -> np.ndarray:
        """Devices of `cls` or a subclass; every device when `cls` is None."""
        if cls not in self._classes:
            out = np.ones(len(self.devices), dtype=bool)
            if cls is not None:
                out[:] = False
                out[[i for i, _ in self.rows("device", _IN_CLASS, cls=cls)]] = True
            self._classes[cls] = out
        return self._classes[cls]

    def label(self, iri: Any) -> str:
        """The English rdfs:label, else the local name (as the shapes' queries write it)."""
        text = lexical(iri)
        return self._labels.get(text) or _LOCAL_NAME.sub("", text)
