"""The change log: which graphs each write changed, so that caches refresh only those.

Every write moves a revision counter in the meta graph (the store's one counter, or on a
remote server the counter of the writer, see remote.py) and, in the same request, records
an entry beside it:

    <urn:tinyreg:change:UUID> log:writer <the counter's subject> ; log:number N (the counter
        after the write) ; log:at NOW() ; log:graph "name" ... ; log:under "prefix" ...

A name is a graph the write replaced, changed or dropped; a prefix stands for every graph
whose name starts with it, and "" for any graph (a write that cannot say which, such as a
user's SPARQL Update). Names are kept as literals so that no registry query following an
IRI meets the log. A write naming more than MAX_NAMED graphs records their namespaces
instead. Each write also drops all but the newest LOG_ENTRIES entries, so the log stays the
same size however old the store is.

A cache keeps the `ChangeMark` it was built at and asks `changes_since(mark)`: the graphs
written since, or None when the log no longer reaches back that far (some counter step since
the mark has no entry left) and the cache must be rebuilt.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from ..vocab import META_GRAPH, TR
from .terms import IRI, OneOf

LOG_ENTRIES = 256
MAX_NAMED = 1000

_REVISION = str(TR.revision)
_ENTRY = "urn:tinyreg:change:"
_WRITER = "urn:tinyreg:log:writer"
_NUMBER = "urn:tinyreg:log:number"
_AT = "urn:tinyreg:log:at"
_GRAPH = "urn:tinyreg:log:graph"
_UNDER = "urn:tinyreg:log:under"

_STATE = (f"SELECT ?w ?count ?c ?n WHERE {{ GRAPH <{META_GRAPH}> {{ "
          f"{{ ?w <{_REVISION}> ?count }} UNION {{ ?c <{_WRITER}> ?w ; <{_NUMBER}> ?n }} }} }}")
# The same, but only the entries numbered past `?after`: a reader a few writes behind reads
# those few rather than the whole log (converting its rows cost 6 ms a read).
_STATE_AFTER = (f"SELECT ?w ?count ?c ?n WHERE {{ GRAPH <{META_GRAPH}> {{ "
                f"{{ ?w <{_REVISION}> ?count }} UNION {{ ?c <{_WRITER}> ?w ; <{_NUMBER}> ?n }} }} "
                f"FILTER(!BOUND(?n) || ?n > ?after) }}")
_CHANGED = (f"SELECT ?c ?g ?u WHERE {{ GRAPH <{META_GRAPH}> {{ {{ ?c <{_NUMBER}> ?n }} "
            f"UNION {{ ?c <{_GRAPH}> ?g }} UNION {{ ?c <{_UNDER}> ?u }} }} }}")


def namespace(name: str) -> str:
    """The graph name up to its last separator: what a prefix entry keeps of it."""
    cut = max(name.rfind("/"), name.rfind("#"), name.rfind(":"))
    return name[:cut + 1]


def _recorded(graphs: Iterable[str] | None, under: Iterable[str]) -> tuple[list[str], list[str]]:
    if graphs is None:
        return [], [""]
    names, prefixes = sorted(set(graphs)), set(under)
    if len(names) > MAX_NAMED:
        prefixes |= {namespace(name) for name in names}
        names = []
    if len(prefixes) > MAX_NAMED:
        prefixes = {""}
    return names, sorted(prefixes)


def trim_due(count: int) -> bool:
    """Whether a writer whose counter stands at `count` drops old entries with its next write:
    on its first and on every LOG_ENTRIES // 16th, so that the log stays within a few
    entries per writer of LOG_ENTRIES without every write paying for the trim."""
    return count % max(1, LOG_ENTRIES // 16) == 0


def counted_write_text(subject: str, graphs: Iterable[str] | None = None,
                       under: Iterable[str] = (), count: int | None = None,
                       trim: bool = True) -> str:
    """SPARQL Update operations that add one to `subject`'s revision counter, log the write
    as changing `graphs` and the graphs under the prefixes `under` (None: any graph), and,
    with `trim`, drop the entries beyond the newest LOG_ENTRIES.

    With `count`, the counter's value now as its one writer knows it, the step is written
    as data: nothing depends on the server finding a solution where the counter does not
    exist yet (Virtuoso finds none for `OPTIONAL {no match} BIND(COALESCE(?r + 1, 1) ...)`,
    and the counter would never move). Without it, the counter is read in the update.
    """
    names, prefixes = _recorded(graphs, under)
    # pyoxigraph writes the literals, escaping whatever a name holds.
    stated = "".join(f" ; <{_GRAPH}> {ox.Literal(name)}" for name in names)
    stated += "".join(f" ; <{_UNDER}> {ox.Literal(prefix)}" for prefix in prefixes)
    meta, counter = f"<{META_GRAPH}>", f"<{subject}> <{_REVISION}>"
    if count is None:
        step = (
            f"DELETE {{ GRAPH {meta} {{ {counter} ?r }} }} "
            f"INSERT {{ GRAPH {meta} {{ {counter} ?n . "
            f"?c <{_WRITER}> <{subject}> ; <{_NUMBER}> ?n ; <{_AT}> ?t{stated} }} }} "
            f"WHERE {{ OPTIONAL {{ GRAPH {meta} {{ {counter} ?r }} }} BIND(COALESCE(?r + 1, 1) AS ?n) "
            f'BIND(IRI(CONCAT("{_ENTRY}", STRUUID())) AS ?c) BIND(NOW() AS ?t) }}')
    else:
        n, entry = int(count) + 1, f"<{_ENTRY}{uuid.uuid4()}>"
        step = (f"DELETE DATA {{ GRAPH {meta} {{ {counter} {int(count)} }} }} ;\n"
                f"INSERT {{ GRAPH {meta} {{ {counter} {n} . "
                f"{entry} <{_WRITER}> <{subject}> ; <{_NUMBER}> {n} ; <{_AT}> ?t{stated} }} }} "
                f"WHERE {{ BIND(NOW() AS ?t) }}")
    if not trim:
        return step
    return step + (
        f" ;\nDELETE {{ GRAPH {meta} {{ ?old ?p ?o }} }} WHERE {{ "
        f"{{ SELECT ?old WHERE {{ "
        f"{{ SELECT (MIN(?t) AS ?cut) WHERE {{ {{ SELECT ?t WHERE {{ GRAPH {meta} {{ ?e <{_AT}> ?t }} }} "
        f"ORDER BY DESC(?t) LIMIT {int(LOG_ENTRIES)} }} }} }} "
        f"GRAPH {meta} {{ ?old <{_AT}> ?at }} FILTER(?at < ?cut) }} }} "
        f"GRAPH {meta} {{ ?old ?p ?o }} }}"
    )


@dataclass(frozen=True)
class ChangeMark:
    """Where the store's writes stood: its revision and each writer's counter."""
    revision: int
    counters: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Changes:
    """What was written between a mark and `mark`, the store's position now."""
    mark: ChangeMark
    graphs: frozenset[str]
    under: frozenset[str]  # every graph whose name starts with one of these

    @property
    def everything(self) -> bool:
        return "" in self.under

    def touches(self, name: str) -> bool:
        return name in self.graphs or any(name.startswith(p) for p in self.under)


def _state(store, after: int = 0) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """The counters, and the log's entries numbered past `after`."""
    counters: dict[str, int] = {}
    entries = []
    for row in store.select(_STATE_AFTER, {"after": after}) if after else store.select(_STATE):
        if row["count"] is not None:
            counters[row["w"]] = int(row["count"])
        else:
            entries.append((row["c"], row["w"], int(row["n"])))
    return counters, entries


def _mark(counters: dict[str, int]) -> ChangeMark:
    return ChangeMark(sum(counters.values()), tuple(sorted(counters.items())))


def change_mark(store) -> ChangeMark:
    return _mark(_state(store)[0])


def entries_at(store, mark: ChangeMark) -> frozenset[str] | None:
    """The log entries of the writes that brought each counter to where `mark` has it: they
    tell this store's history from another's that reached the same counts. None when the
    log no longer holds one of them."""
    wanted = set(mark.counters)
    found = frozenset(entry for entry, writer, n in _state(store)[1] if (writer, n) in wanted)
    return found if len(found) >= len(wanted) else None


def holds_entries(store, entries: frozenset[str]) -> bool:
    """Whether the store's log holds every one of `entries`."""
    if not entries:
        return True
    present = {row["c"] for row in store.select(_CHANGED, {"c": OneOf(IRI(e) for e in entries)})}
    return present == set(entries)


def changes_since(store, mark: ChangeMark) -> Changes | None:
    """The graphs written since `mark` and the store's mark now; None when the log has lost
    an entry of that span (or the counters went back: the store was replaced)."""
    seen = dict(mark.counters)
    counters, entries = _state(store, min(seen.values(), default=0))
    if not set(counters) <= set(seen):  # a writer new since the mark: its entries from 1
        counters, entries = _state(store)
    now = _mark(counters)
    if any(counters.get(w, 0) < count for w, count in seen.items()):
        return None
    numbers: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for entry, writer, n in entries:
        numbers[writer][n].append(entry)
    new: list[str] = []
    for writer, count in counters.items():
        first = seen.get(writer, 0)
        logged = {n: found for n, found in numbers[writer].items() if n > first}
        # Every step of the counter since the mark has its entry (two steps that raced to
        # the same number have two entries, both kept).
        if len(logged) < count - first or any(n not in logged for n in range(first + 1, count + 1)):
            return None
        new += [entry for found in logged.values() for entry in found]
    if not new:
        return Changes(now, frozenset(), frozenset())
    graphs, under, present = set(), set(), set()
    for row in store.select(_CHANGED, {"c": OneOf(IRI(entry) for entry in new)}):
        present.add(row["c"])
        if row["g"] is not None:
            graphs.add(str(row["g"]))
        if row["u"] is not None:
            under.add(str(row["u"]))
    if present != set(new):
        return None  # dropped between the two reads: the log no longer reaches back
    return Changes(now, frozenset(graphs), frozenset(under))
