"""Columns from the store: what the engine compiles the constraints against.

A `Fleet` reads the model versions and devices of the store with a few SELECT queries read
as tables (no query per device, no dict per row) and keeps two kinds of facts:

- Entity facts, each from the entity's own named graph (the graph name is its IRI), as
  pySHACL sees them in a candidate graph: one table of term ids per query (columns.py).
  Queries over nested nodes join inside the store (a blank node's label means something
  only within the answer it came in).
- Reference facts (classes, labels, runtimes) from the union of all graphs, as rows.

A fleet follows the store: `refreshed(changes)` re-reads the entity facts of the graphs
the store's change log names and nothing else, and answers None when a reference fact
changed, for the caller to read a new fleet. It says what it re-read (`Written`), so that
the engine can compile the constraints over those devices only (`narrowed`) and splice
the answers in (splice.py). A fleet can be narrowed to one model version and one device
for a single check.
"""
from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..errors import NotFound
from ..store import IRI, Store
from ..store.changelog import Changes
from ..store.terms import OneOf
from ..vocab import RECORD_BASES, prefixes
from .columns import Facts, Terms, is_number, lexical, value_key
from .reference_reads import DECLARED, Feeding, reference_query

__all__ = ["Fleet", "Unpatchable", "Written", "is_number", "lexical", "value_key"]

_PREFIXES = prefixes("tr", "rdfs", "schema")

_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_KINDS = reference_query(_PREFIXES + "SELECT ?kind WHERE { ?kind rdfs:subClassOf* ?root }",
                         predicates=(f"{_RDFS}subClassOf",))
_MEMBERS = "SELECT ?e WHERE { GRAPH ?e { ?e a ?kind } }"
_MEMBERS_UNDER = "SELECT ?e WHERE { GRAPH ?e { ?e a ?kind } FILTER(STRSTARTS(STR(?e), ?prefix)) }"
_NAMES = _PREFIXES + "SELECT ?e ?name WHERE { GRAPH ?e { ?e schema:name ?name } }"
_VALUES_OF = "SELECT ?e ?x WHERE { GRAPH ?e { ?e ?p ?x } }"
_LABELS = reference_query(_PREFIXES + """
SELECT ?x ?l WHERE { ?x rdfs:label ?l FILTER (LANGMATCHES(LANG(?l), "en")) }
""", predicates=(f"{_RDFS}label",))

_LOCAL_NAME = re.compile(r"^.*[/#]")
_TR = "https://w3id.org/tinyreg/ontology#"
SIDES = ("model", "device")
_ROOTS = {"model": f"{_TR}ModelVersion", "device": f"{_TR}Device"}
_WHAT = {"model": "model version", "device": "device"}
# Beyond this share of the fleet written, reading everything again is the cheaper refresh.
_REFRESH_SHARE = 0.25
# Up to this many entities come or go in a refresh, they are placed one by one.
_FEW = 64


class Unpatchable(Exception):
    """A refresh's changes cannot be spliced into the compiled engine: compile it whole."""


@dataclass(frozen=True)
class Written:
    """What a refresh re-read: the model versions it found written (term ids, gone, new or
    replaced), the devices written that are there now and those gone, and per entity query
    the rows of the graphs re-read."""
    models: np.ndarray
    devices: np.ndarray
    gone: np.ndarray
    facts: dict[tuple, Facts]

    def __bool__(self) -> bool:
        return bool(len(self.models) or len(self.devices) or len(self.gone))


_NOTHING = np.zeros(0, dtype=np.int64)


def _starting(iris: list[str], prefix: str) -> list[str]:
    """The IRIs of a sorted list that start with `prefix` (a range of it, found by halving)."""
    start = bisect.bisect_left(iris, prefix)
    end = start
    while end < len(iris) and iris[end].startswith(prefix):
        end += 1
    return iris[start:end]


def _key(query: str, bindings: dict[str, Any]) -> tuple:
    return query, tuple(sorted(bindings.items()))


class _Index(Mapping):
    """Entity IRI -> index on one side, looked up in the fleet's arrays rather than in a
    dict of every IRI (which a refresh would build again)."""

    def __init__(self, fleet: "Fleet", side: str):
        self._fleet, self._side = fleet, side

    def __getitem__(self, iri: str) -> int:
        k = self._fleet.terms.iri(iri) if isinstance(iri, str) else None
        if k is not None:
            at = int(self._fleet.position(self._side)[k])
            if at >= 0:
                return at
        raise KeyError(iri)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fleet._iris[self._side])

    def __len__(self) -> int:
        return len(self._fleet._iris[self._side])


class Fleet:
    """The model versions and devices of one store revision, and queries over them."""

    def __init__(self, store: Store, model: str | None = None, device: str | None = None):
        self.store = store
        self._only = {"model": model, "device": device}
        narrowed = [iri for iri in (model, device) if iri is not None]
        self._scope: list[str] | None = narrowed or None
        # Read before anything else: a write landing during the reads is then read again
        # by the next refresh, never missed. A fleet of one pair is not refreshed.
        self.mark = None if narrowed else store.change_mark()
        self.revision = store.revision() if narrowed else self.mark.revision
        self.terms = Terms()
        self._facts: dict[tuple, Facts] = {}
        self._reference: dict[tuple, list[dict]] = {}
        self._iris: dict[str, list[str]] = {}
        self._ids: dict[str, np.ndarray] = {}
        # Each entity query's rows about model versions, for `narrowed`: kept while no
        # model version is written.
        self._model_facts: dict[tuple, Facts] = {}
        self._narrowed = False
        for side in SIDES:
            for key in self._members(side):
                self._facts[key] = self._read(key, self._scope)
            ids = np.unique(np.concatenate(
                [self._facts[key].entity for key in self._members(side)] or [np.zeros(0, np.int64)]))
            iris = [str(self.terms.values[k]) for k in ids.tolist()]
            if self._only[side] is not None:
                chosen = [k for k, iri in enumerate(iris) if iri == self._only[side]]
                if not chosen:
                    raise NotFound(f"no {_WHAT[side]} {self._only[side]}")
                ids, iris = ids[chosen], [iris[k] for k in chosen]
            order = sorted(range(len(iris)), key=iris.__getitem__)
            self._iris[side], self._ids[side] = [iris[k] for k in order], ids[order]
        self._forget(entities=True)
        # The graphs the reference queries read, for a refresh to pass over writes that
        # cannot change them (reference_reads.py); every declared query's, a superset of
        # those the constraints will ask.
        self._feeding = None if narrowed else Feeding.read(store, frozenset(DECLARED), self.revision)
        # Read now, so that explanations given later speak of this revision.
        self._labels: dict[str, str] = {}
        for row in self.reference(_LABELS):
            self._labels.setdefault(row["x"], str(row["l"]))

    def _forget(self, entities: bool) -> None:
        """Drop what is derived from the entity facts (and from the entity lists)."""
        if entities:
            self._positions: dict[str, np.ndarray] = {}
            self._entities: np.ndarray | None = None
        self._classes: dict[str | None, np.ndarray] = {}
        self._name_lists: dict[str, list] = {}

    # ---- the entities
    @property
    def models(self) -> list[str]:
        return self._iris["model"]

    @property
    def devices(self) -> list[str]:
        return self._iris["device"]

    @property
    def device_ids(self) -> np.ndarray:
        """The devices' term ids, in the order of `devices`."""
        return self._ids["device"]

    def ids(self, side: str) -> np.ndarray:
        """The term ids of the entities of `side`, in their order."""
        return self._ids[side]

    @property
    def model_index(self) -> Mapping[str, int]:
        return _Index(self, "model")

    @property
    def device_index(self) -> Mapping[str, int]:
        return _Index(self, "device")

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.models), len(self.devices)

    @property
    def model_names(self) -> list:
        return self._names("model")

    @property
    def device_names(self) -> list:
        return self._names("device")

    def _names(self, side: str) -> list:
        """The entities' schema:name (None when they state none). Only listings show
        names, so they are read when first asked for, and then kept up to date."""
        if side not in self._name_lists:
            positions, columns = self.select(side, _NAMES)
            names: list = [None] * len(self._iris[side])
            values = self.terms.values
            for i, name in zip(positions.tolist(), columns["name"].tolist()):
                value = values[name]
                # An entity with several names shows the first in text order, whatever
                # the order the store answers in.
                if names[i] is None or str(value) < str(names[i]):
                    names[i] = value
            self._name_lists[side] = names
        return self._name_lists[side]

    def position(self, side: str) -> np.ndarray:
        """For each term id, the index of the entity on `side` it names, else -1."""
        found = self._positions.get(side)
        if found is None:
            found = np.full(len(self.terms), -1, dtype=np.int64)
            found[self._ids[side]] = np.arange(len(self._ids[side]))
        if len(found) < len(self.terms):  # terms read since are values, not entities
            found = np.concatenate([found, np.full(len(self.terms) - len(found), -1, dtype=np.int64)])
        self._positions[side] = found
        return found

    def _members(self, side: str) -> list[tuple]:
        """The keys of the tables listing the entities of `side`, one per class under its
        root: each is a scan of one class's instances."""
        return [_key(_MEMBERS, {"kind": IRI(row["kind"])})
                for row in self.reference(_KINDS, root=_ROOTS[side])]

    # ---- reading
    def reference(self, query: str, **bindings: Any) -> list[dict]:
        """Rows of a query over the union of all graphs (classes, labels, runtimes); a
        refresh reads them again and starts over if any changed. Strings bind as IRIs."""
        bound = {k: IRI(v) if isinstance(v, str) else v for k, v in bindings.items()}
        key = _key(query, bound)
        if key not in self._reference:
            self._reference[key] = self.store.select(query, bound or None)
        return self._reference[key]

    def facts(self, query: str, **bindings: Any) -> Facts:
        """The rows of a query whose ?e is the entity whose graph states them, for the
        entities of this fleet; read once, kept up to date by `refreshed`."""
        bound = {k: IRI(v) if isinstance(v, str) else v for k, v in bindings.items()}
        key = _key(query, bound)
        if key not in self._facts:
            if self._narrowed:  # the re-read rows of a query the whole fleet never asked
                raise Unpatchable(f"a patch asks a query the fleet had not read: {query[:60]!r}")
            facts = self._read(key, self._scope)
            if self._entities is None or len(self._entities) < len(self.terms):
                self._entities = self.terms.mask(np.concatenate([self._ids[s] for s in SIDES]))
            self._facts[key] = facts.where(self._entities[facts.entity])
        return self._facts[key]

    def _read(self, key: tuple, graphs: list[str] | None) -> Facts:
        """A query's rows, from every graph or from `graphs` only."""
        query, bound = key
        bindings = dict(bound)
        if graphs is not None:
            bindings["e"] = OneOf(IRI(g) for g in graphs)
        table = self.store.table(query, bindings or None)
        columns = {name: self.terms.ids(table.cells[name]) for name in table.variables}
        entity = columns.pop("e")
        return Facts(entity, columns)

    def select(self, side: str, query: str, **bindings: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(entity index, columns of term ids) for the rows of an entity query that are
        about an entity of `side`."""
        facts = self.facts(query, **bindings)
        at = self.position(side)[facts.entity]
        keep = at >= 0
        return at[keep], {k: v[keep] for k, v in facts.columns.items()}

    def values(self, side: str, prop: str) -> dict[int, list]:
        """Each entity's values of `prop` (entities without one are absent)."""
        positions, columns = self.select(side, _VALUES_OF, p=prop)
        out: dict[int, list] = {}
        values = self.terms.values
        for i, x in zip(positions.tolist(), columns["x"].tolist()):
            out.setdefault(i, []).append(values[x])
        return out

    def numbers(self, side: str, prop: str, pick=max) -> np.ndarray:
        """One number per entity (NaN when none is stated or it is not a number).

        With several values `pick` (max or min) chooses the one that decides the verdict
        (the largest need, the smallest capacity), as the SHACL query reports a result for
        any of them.
        """
        positions, columns = self.select(side, _VALUES_OF, p=prop)
        found = self.terms.numbers()[columns["x"]]
        known = ~np.isnan(found)
        out = np.full(len(self._iris[side]), np.nan)
        (np.fmax if pick is max else np.fmin).at(out, positions[known], found[known])
        return out

    def has(self, side: str, prop: str) -> np.ndarray:
        out = np.zeros(len(self._iris[side]), dtype=bool)
        out[self.select(side, _VALUES_OF, p=prop)[0]] = True
        return out

    def in_class(self, cls: str | None) -> np.ndarray:
        """Devices of `cls` or a subclass; every device when `cls` is None."""
        if cls not in self._classes:
            out = np.ones(len(self.devices), dtype=bool)
            if cls is not None:
                out[:] = False
                for row in self.reference(_KINDS, root=cls):
                    out[self.select("device", _MEMBERS, kind=row["kind"])[0]] = True
            self._classes[cls] = out
        return self._classes[cls]

    def label(self, iri: Any) -> str:
        """The English rdfs:label, else the local name (as the shapes' queries write it)."""
        text = lexical(iri)
        return self._labels.get(text) or _LOCAL_NAME.sub("", text)

    # ---- following the store
    def refreshed(self, changes: Changes) -> tuple["Fleet", Written] | None:
        """This fleet at `changes.mark`: (the fleet, what was written of the model versions
        and devices: false when nothing), or None when the changes reach the reference facts
        or much of the fleet.

        Writes to records (deployments, rollouts) are passed over: their graphs never name
        a model version or a device and state nothing the reference facts read."""
        if changes.everything or self._scope is not None:
            return None
        limit = max(1000, _REFRESH_SHARE * (len(self.models) + len(self.devices)))
        store = self.store
        changed = {name for name in changes.graphs if not name.startswith(RECORD_BASES)}
        under = [prefix for prefix in changes.under if not prefix.startswith(RECORD_BASES)]
        feeding = self._feeding
        if under or (changed and (feeding is None or not feeding.unchanged_by(
                store, frozenset(query for query, _ in self._reference), changed))):
            for (query, bound), rows in self._reference.items():
                if store.select(query, dict(bound) or None) != rows:
                    return None
            feeding = Feeding.read(store, frozenset(DECLARED), changes.mark.revision)
        members = self._members("model") + self._members("device")
        for prefix in under:
            for side in SIDES:
                changed.update(_starting(self._iris[side], prefix))
            for _, bound in members:
                changed.update(store.table(_MEMBERS_UNDER, {**dict(bound), "prefix": prefix}).values("e"))
        new = copy.copy(self)
        new.mark, new.revision = changes.mark, changes.mark.revision
        new._reference = dict(self._reference)
        new._feeding = feeding
        nothing = Written(_NOTHING, _NOTHING, _NOTHING, {})
        if not changed:
            return new, nothing
        if len(changed) > 4 * limit:  # even if most are not entities, naming them all costs more
            return None
        graphs = sorted(changed)
        written = self.terms.iris(graphs)
        read = {key: self._read(key, graphs) for key in members}
        was = {side: written[self.position(side)[written] >= 0] for side in SIDES}
        now = {side: np.unique(np.concatenate([read[key].entity for key in self._members(side)]
                                              or [np.zeros(0, np.int64)])) for side in SIDES}
        affected = np.unique(np.concatenate([*was.values(), *now.values()]))
        if not len(affected):
            return new, nothing  # no model version or device among the graphs written
        if len(affected) > limit:
            return None
        gone = self.terms.mask(affected)
        entities = np.unique(np.concatenate(list(now.values())))
        fresh = [str(self.terms.values[k]) for k in entities.tolist()]
        new._facts, rows = {}, {}
        for key, facts in self._facts.items():
            # copies of 100,000s of rows only where rows go or come (an added device has no
            # rows to drop, and states nothing for many queries)
            dropped = gone[facts.entity]
            kept = facts.where(~dropped) if dropped.any() else facts
            if key in read:
                rows[key] = read[key]
            elif fresh:
                rows[key] = self._read(key, fresh)
            new._facts[key] = kept.plus(rows[key]) if key in rows and len(rows[key].entity) else kept
        new._iris, new._ids = dict(self._iris), dict(self._ids)
        lists_changed = False
        for side in SIDES:
            removed, added = np.setdiff1d(was[side], now[side]), np.setdiff1d(now[side], was[side])
            if len(removed) or len(added):
                new._iris[side], new._ids[side] = self._edited(side, removed, added)
                lists_changed = True
        new._forget(entities=lists_changed)
        models = np.union1d(was["model"], now["model"])
        if len(models):
            new._model_facts = {}
        return new, Written(models, now["device"], np.setdiff1d(was["device"], now["device"]), rows)

    def narrowed(self, written: Written) -> "Fleet":
        """This fleet with every model version but, of the devices, only those `written`
        re-read: what a patch compiles the constraints over. Its rows are the model
        versions' and the re-read ones; it reads nothing from the store."""
        sub = copy.copy(self)
        sub._narrowed = True
        iris = [str(self.terms.values[k]) for k in written.devices.tolist()]
        order = sorted(range(len(iris)), key=iris.__getitem__)
        sub._iris = {"model": self._iris["model"], "device": [iris[k] for k in order]}
        sub._ids = {"model": self._ids["model"], "device": written.devices[order]}
        sub._facts = {}
        for key in self._facts:
            if key in written.facts:
                sub._facts[key] = self._models_of(key).plus(written.facts[key])
            elif not len(iris):
                sub._facts[key] = self._models_of(key)
        sub._model_facts = {}
        sub._forget(entities=True)
        sub._positions["model"] = self.position("model")  # the same model versions
        return sub

    def with_models_written(self, written: Written) -> "Fleet":
        """This fleet with every device but, of the model versions, only those `written`
        that are there now: what a patch along the model axis compiles the constraints
        over. Its rows are the re-read ones; a query the whole fleet never asked (a sensor
        class no other model version requires) is read from those graphs alone."""
        sub = copy.copy(self)
        ids = written.models[self.position("model")[written.models] >= 0]
        iris = [str(self.terms.values[k]) for k in ids.tolist()]
        order = sorted(range(len(iris)), key=iris.__getitem__)
        sub._iris = {"model": [iris[k] for k in order], "device": []}
        sub._ids = {"model": ids[order], "device": _NOTHING}
        sub._scope = sub._iris["model"]
        sub._forget(entities=True)
        chosen = self.terms.mask(ids)
        sub._facts = {}
        for key, facts in self._facts.items():
            rows = written.facts.get(key, facts)  # none re-read: none of `ids` is there now
            sub._facts[key] = rows.where(chosen[rows.entity])
        sub._model_facts = {}
        return sub

    def _models_of(self, key: tuple) -> Facts:
        """The rows of an entity query about model versions."""
        if key not in self._model_facts:
            facts = self._facts[key]
            self._model_facts[key] = facts.where(self.position("model")[facts.entity] >= 0)
        return self._model_facts[key]

    def spliced_from(self, old: "Fleet", sub: "Fleet", splice) -> None:
        """Take what `old` had worked out of its entities (device classes, names), with the
        entities `sub` re-read spliced in on the splice's side, rather than work it out
        again over the whole fleet."""
        on_devices = splice.side == "device"
        for cls, members in old._classes.items():
            self._classes[cls] = splice.rows(members, sub.in_class(cls)) if on_devices else members
        for side in SIDES:
            if side in old._name_lists:
                self._name_lists[side] = splice.items(old._name_lists[side], sub._names(side)) \
                    if side == splice.side else old._name_lists[side]

    def _edited(self, side: str, removed: np.ndarray, added: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The entity list of `side` (in IRI order) without `removed`, with `added`."""
        iris, ids = self._iris[side], self._ids[side]
        pairs = sorted((str(self.terms.values[k]), k) for k in added.tolist())
        if len(removed) + len(pairs) <= _FEW:  # in place in copies: no pass over every entity
            iris, gone = list(iris), sorted(self.position(side)[removed].tolist())
            for at in reversed(gone):
                del iris[at]
            ids = np.delete(ids, gone)
            at = [bisect.bisect_left(iris, iri) for iri, _ in pairs]
            for (iri, _), where in zip(reversed(pairs), reversed(at)):  # the last first: `at` holds
                iris.insert(where, iri)
            return iris, np.insert(ids, at, [k for _, k in pairs]).astype(np.int64)
        if len(removed):
            keep = ~np.isin(ids, removed)
            iris, ids = [iri for iri, k in zip(iris, keep.tolist()) if k], ids[keep]
        merged = sorted([*zip(iris, ids.tolist()), *pairs])
        return [iri for iri, _ in merged], np.array([k for _, k in merged], dtype=np.int64)
