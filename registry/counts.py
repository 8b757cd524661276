"""The registry's counts (models, versions, devices, deployments, graphs), kept up to date
from the store's change log.

Counting them with COUNT(DISTINCT ...) over the union of 100,000 device graphs took 3 s
after every write, on the overview page. Here each graph's share is held: which subjects it
types as which kind, and whether it is one of the registry's graphs. A write reads again
only the graphs the change log names (a namespace it names: the graphs under it), and the
counts are the distinct subjects over all shares, as the query counts them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .following import followed
from .store import IRI
from .store.changelog import ChangeMark, namespace
from .store.terms import OneOf
from .vocab import META_GRAPH, RECORD_BASES, REGISTRY_ROOT, TR, prefixes

if TYPE_CHECKING:
    from .core import Registry

KINDS = ("models", "versions", "devices", "deployments")
_KIND_OF = {f"{TR}Rollout": "rollouts", f"{TR}Model": "models", f"{TR}ModelVersion": "versions",
            f"{TR}MicrocontrollerBoard": "devices", f"{TR}LinuxDevice": "devices",
            f"{TR}Device": "devices", f"{TR}Deployment": "deployments"}
_TYPED = prefixes("tr") + """SELECT ?g ?s ?kind WHERE { GRAPH ?g { ?s a ?kind
  VALUES ?kind { tr:Model tr:ModelVersion tr:MicrocontrollerBoard tr:LinuxDevice tr:Device tr:Deployment } } }"""
_TYPED_UNDER = _TYPED[:-1] + "FILTER(STRSTARTS(STR(?g), ?under)) }"
# A record (deployment, rollout) never types a model, a version or a device (vocab), and
# each record's graph types its record (deploy/records.py): the graphs under a record
# namespace are found from their records' types, without listing every graph of the store
# (0.5 s at 100,000 devices, after each deployment report).
_RECORDS_UNDER = prefixes("tr") + """SELECT ?g ?s ?kind WHERE { GRAPH ?g { ?s a ?kind
  VALUES ?kind { tr:Deployment tr:Rollout } } FILTER(STRSTARTS(STR(?g), ?under)) }"""
_NAMES_UNDER = "SELECT ?g WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), ?under)) }"
_CACHE_KEY = "counts"
# Beyond this many graphs named, reading every share again is the cheaper refresh.
_REREAD = 5000
_Share = tuple[tuple[str, str], ...]  # (kind, subject) pairs a graph types


def _registry_graph(name: str) -> bool:
    return name.startswith(REGISTRY_ROOT) and name != META_GRAPH


def _counted(shares: dict[str, _Share]) -> dict[str, _Share]:
    """The shares without the kinds that are not counted (rollouts)."""
    kept = {g: tuple(p for p in share if p[0] in KINDS) for g, share in shares.items()}
    return {g: share for g, share in kept.items() if share}


def _shares(store, query: str = _TYPED, bindings=None) -> dict[str, _Share]:
    table = store.table(query, bindings)
    found: dict[str, set[tuple[str, str]]] = {}
    for graph, subject, kind in zip(*(table.values(n) for n in ("g", "s", "kind"))):
        found.setdefault(graph, set()).add((_KIND_OF[kind], str(subject)))
    return {graph: tuple(sorted(pairs)) for graph, pairs in found.items()}


def _by_namespace(graphs: dict[str, _Share]) -> dict[str, dict[str, _Share]]:
    out: dict[str, dict[str, _Share]] = {}
    for name, share in graphs.items():
        out.setdefault(namespace(name), {})[name] = share
    return out


@dataclass(frozen=True)
class Counts:
    """Each graph's share at one position of the change log, and what they add up to."""
    mark: ChangeMark
    # namespace -> graph -> its share: every registry graph (sharing nothing or not), and
    # other graphs where they type something. By namespace, so that a write copies only the
    # namespaces it touched and a namespace written whole is found without a scan.
    graphs: dict[str, dict[str, _Share]]
    subjects: dict[str, Counter]  # kind -> subject -> how many graphs type it so
    origin: str = "full"  # "full", "refreshed" (graphs read again) or "kept"

    @classmethod
    def read(cls, store) -> "Counts":
        mark = store.change_mark()  # before the reads: a write landing meanwhile is read again
        shares = _shares(store)
        graphs = dict.fromkeys(store.graph_names(under=REGISTRY_ROOT), ())
        graphs.update(shares)
        return cls(mark, _by_namespace(graphs), _add_up(shares.values()))

    def as_dict(self) -> dict[str, int]:
        out = {kind: len(self.subjects[kind]) for kind in KINDS}
        out["graphs"] = sum(len(held) for ns, held in self.graphs.items() if _registry_graph(ns))
        out["revision"] = self.mark.revision
        return out

    def refreshed(self, store) -> "Counts | None":
        """These counts at the store's position now, from the graphs written since; None
        when the log cannot say which, or names too many to read one by one."""
        changes = store.changes_since(self.mark)
        if changes is None or changes.everything or len(changes.graphs) > _REREAD:
            return None
        if not changes.graphs and not changes.under:
            return Counts(changes.mark, self.graphs, self.subjects, "kept")
        graphs, gone = _Written(self.graphs), []
        for prefix in changes.under:
            gone += graphs.drop_under(prefix)
            if prefix.startswith(RECORD_BASES):
                records = _shares(store, _RECORDS_UNDER, {"under": prefix})
                found = {g: () for g in records if _registry_graph(g)}
                found.update(_counted(records))
            else:
                found = {row["g"]: () for row in store.select(_NAMES_UNDER, {"under": prefix})
                         if _registry_graph(row["g"])}
                found.update(_shares(store, _TYPED_UNDER, {"under": prefix}))
            graphs.put(found)
        written = [g for g in changes.graphs if not any(g.startswith(p) for p in changes.under)]
        if written:
            gone += graphs.drop(written)
            shares = _shares(store, bindings={"g": OneOf(IRI(g) for g in written)})
            graphs.put({g: shares.get(g, ()) for g in written if g in shares or
                        (_registry_graph(g) and store.has_graph(g))})
        subjects = dict(self.subjects)  # those of kinds no share changed are shared
        for kind in {kind for share in (*gone, *graphs.new) for kind, _ in share}:
            subjects[kind] = Counter(subjects[kind])
        _take(subjects, gone)
        _put(subjects, graphs.new)
        return Counts(changes.mark, graphs.held, subjects, "refreshed")


class _Written:
    """The graphs by namespace as a refresh changes them: a namespace is copied when first
    changed, the others stay shared with the counts before."""

    def __init__(self, held: dict[str, dict[str, _Share]]):
        self.held, self._copied = dict(held), set()
        self.new: list[_Share] = []

    def _bucket(self, ns: str) -> dict[str, _Share]:
        if ns not in self._copied:
            self.held[ns] = dict(self.held.get(ns, {}))
            self._copied.add(ns)
        return self.held[ns]

    def drop_under(self, prefix: str) -> list[_Share]:
        gone = []
        for ns in [ns for ns in self.held if ns.startswith(prefix)]:
            gone += self.held.pop(ns).values()
            self._copied.discard(ns)
        for ns in [ns for ns in self.held if prefix.startswith(ns)]:
            gone += self.drop([g for g in self.held[ns] if g.startswith(prefix)])
        return gone

    def drop(self, names) -> list[_Share]:
        gone = []
        for name in names:
            share = self._bucket(namespace(name)).pop(name, None)
            if share:
                gone.append(share)
        return gone

    def put(self, graphs: dict[str, _Share]) -> None:
        for name, share in graphs.items():
            self._bucket(namespace(name))[name] = share
            self.new.append(share)


def _add_up(shares) -> dict[str, Counter]:
    subjects = {kind: Counter() for kind in KINDS}
    _put(subjects, shares)
    return subjects


def _put(subjects: dict[str, Counter], shares) -> None:
    for share in shares:
        for kind, subject in share:
            subjects[kind][subject] += 1


def _take(subjects: dict[str, Counter], shares) -> None:
    for share in shares:
        for kind, subject in share:
            held = subjects[kind]
            held[subject] -= 1
            if not held[subject]:
                del held[subject]


def counts(registry: Registry) -> Counts:
    """The registry's counts at the store's revision now (one refresh at a time)."""
    store = registry.store
    return followed(registry, _CACHE_KEY, lambda: Counts.read(store),
                    lambda held: held.refreshed(store))
