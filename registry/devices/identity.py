"""Which device a file describes: found by its source's id, never another source's device.

A device's identifier is minted from the id its source gives it (`vocab.device_id`), and
its graph says `<device> owl:sameAs <source>`: the TD's id, or for sources without IRIs an
IRI naming the format and the id (`facts.source_iri`). Before devices are written:

- each is looked up by its source, and one registered before under another identifier
  (minted by an older rule) is written there again, so a re-import replaces it;
- a device whose identifier is taken by a device the same as another source is refused
  (`Conflict`, naming both), as is a second source minting the same identifier in one write.

The same module resolves what a person types for a device: its IRI, its identifier, or the
id its source gives it.
"""
from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.namespace import OWL

from ..entailment import Entailed
from ..errors import Conflict
from ..store import IRI, EmbeddedStore, GraphLike
from ..store.base import to_ntriples
from ..store.terms import OneOf
from ..vocab import DEVICE_BASE, SCHEMA, prefixes

# Each device and the sources it is the same as, asked with either bound. Devices are the
# graphs under DEVICE_BASE: a model version may be the same as a source too.
_SAME_AS = prefixes("owl") + """
SELECT ?device ?source WHERE { GRAPH ?device { ?device owl:sameAs ?source } }"""
_OWL_SAME_AS = str(OWL.sameAs)


def _devices_of(store, sources: list[str]) -> dict[str, str]:
    """The device that is the same as each source (IRIs) that has one; the first by IRI."""
    found: dict[str, str] = {}
    for row in sorted(_same_as(store, "source", sources), key=lambda row: row["device"]):
        if row["device"].startswith(DEVICE_BASE):
            found.setdefault(row["source"], row["device"])
    return found


def _same_as(store, bound: str, iris: list[str]) -> list[dict[str, str]]:
    """The rows of _SAME_AS with `bound` ("device" or "source") one of `iris`. The embedded
    store is asked index by index: an import asks for thousands of sources at a time, and
    the query joined them with every device's statement (0.45 s per 2,500 at 20,000)."""
    if not isinstance(store, EmbeddedStore):
        return store.select(_SAME_AS, {bound: OneOf(map(IRI, iris))})
    database, same = store.oxigraph, ox.NamedNode(_OWL_SAME_AS)
    rows = []
    for iri in iris:
        node = ox.NamedNode(iri)
        quads = (database.quads_for_pattern(node, same, None, node) if bound == "device"
                 else database.quads_for_pattern(None, same, node, None))
        rows += [{"device": q.subject.value, "source": q.object.value} for q in quads
                 if q.graph_name == q.subject and isinstance(q.object, ox.NamedNode)]
    return rows


class Claims:
    """Where the devices of one write go, as the store stands before it."""

    def __init__(self, store, sources: Iterable[str], iris: Iterable[str]):
        sources, iris = sorted(set(sources)), sorted(set(iris))
        # source -> the device that is the same as it; device -> the sources it is the same as
        self.found: dict[str, str] = _devices_of(store, sources) if sources else {}
        self.owners: dict[str, set[str]] = {}
        targets = sorted(set(iris) | set(self.found.values()))
        if isinstance(store, EmbeddedStore):  # a fleet's new devices have no graph to ask
            targets = [iri for iri in targets if store.has_graph(iri)]
            self.present: set[str] | None = set(targets)  # of the devices, those in the store
        else:
            self.present = None  # not asked: a request each
        if targets:
            for row in _same_as(store, "device", targets):
                self.owners.setdefault(row["device"], set()).add(row["source"])
        self.taken: dict[str, str] = {}  # device -> the source a file of this write gave it

    @classmethod
    def of(cls, store, results: Iterable, taken: dict[str, str] | None = None) -> "Claims":
        """The claims of files read (`files.FileResult`s) on `store`; `taken`: the devices
        that files of the same write placed before, not yet in the store (kept up to date)."""
        results = list(results)
        claims = cls(store, (s for r in results for s in r.sources),
                     (d for r in results for d in r.devices))
        if taken is not None:
            claims.taken = taken
        return claims

    def place(self, devices: list[str], sources: list[str]) -> dict[str, str]:
        """Where one file's devices (minted IRIs, and the sources they are the same as) go:
        {minted: IRI} for those that go elsewhere. `Conflict` when one belongs to another
        source; then none of the file's devices is placed."""
        placed: dict[str, str] = {}
        moves: dict[str, str] = {}
        for iri, source in zip(devices, sources):
            target = self.found.get(source, iri)
            owner = placed.get(target) or self.taken.get(target)  # earlier in this write
            if owner is None:
                owners = self.owners.get(target, set())
                owner = None if not owners or source in owners else min(owners)
            elif owner == source:
                owner = None
            if owner is not None:
                raise Conflict(f"{source} would be device {_identifier(target)}, which is "
                               f"already the device of {owner}; give one of them another id",
                               device=target, source=source, owner=owner)
            placed[target] = source
            if target != iri:
                moves[iri] = target
        self.taken.update(placed)
        return moves


_IDENTIFIER = f"<{SCHEMA.identifier}>"


def _identifier(iri: str) -> str:
    return iri[len(DEVICE_BASE):] if iri.startswith(DEVICE_BASE) else iri


def renamed(graphs: Iterable[tuple[str, GraphLike]], moves: dict[str, str]):
    """(name, graph) pairs with the devices `moves` names renamed, as N-Triples text."""
    for name, graph in graphs:
        new = moves.get(name)
        if new is None:
            yield name, graph
        else:
            text = (to_ntriples(graph, validate=False).replace(f"<{name}>", f"<{new}>")
                    .replace(f'{_IDENTIFIER} "{_identifier(name)}" .',
                             f'{_IDENTIFIER} "{_identifier(new)}" .'))
            yield new, Entailed(text) if isinstance(graph, Entailed) else text
