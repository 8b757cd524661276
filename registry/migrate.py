"""Stored data brought to the registry's current data layout when it opens a store.

A store records the layout its data is in as a data version (tr:dataVersion of the store,
in its meta graph; none means 1). Each step from one version to the next is one SPARQL
Update over the entity graphs (those under the registry's IRI base, never the ontology's
graph, where the old terms are still declared), sent with the version marker as one counted
write: the revision moves and the change log names every entity graph as written, so that
caches read them again. Every step is idempotent, so two processes opening an old store at
once both succeed. After a step, the marker and the absence of the old terms are read back:
a step that did not take is an error, not a half-migrated store answering questions.

Version 2 (ontology 0.3.0) splits need from capacity (ontology/CHANGELOG.md): a model
version's tr:flashBytes becomes tr:modelFlashBytes; a device's tr:flashBytes and tr:ramBytes
become tr:usableFlashBytes and tr:usableRamBytes, the figures the verdicts were computed
against, so that a migrated store gives the answers it gave; an installed runtime's
tr:ramOverheadBytes and tr:codeBytes become tr:runtimeRamBytes and tr:runtimeCodeBytes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .errors import MigrationFailed
from .store import Store
from .store.base import REVISION_SUBJECT
from .vocab import ID, META_GRAPH, prefixes

log = logging.getLogger(__name__)

DATA_VERSION = 2

_PREFIX = prefixes("tr")
_VERSION = (_PREFIX + f"SELECT ?v WHERE {{ GRAPH <{META_GRAPH}> {{ <{REVISION_SUBJECT}> "
            "tr:dataVersion ?v } }")
# Entity graphs only: the ontology's graph declares the deprecated terms and must keep them.
_ENTITIES = f'FILTER(STRSTARTS(STR(?g), "{ID}"))'


def _rename(old: str, new: str, subject: str = "") -> str:
    """Move the values of one property to another, in every entity graph."""
    return (f"DELETE {{ GRAPH ?g {{ ?x tr:{old} ?v }} }} INSERT {{ GRAPH ?g {{ ?x tr:{new} ?v }} }}\n"
            f"WHERE {{ GRAPH ?g {{ ?x tr:{old} ?v {subject} }} {_ENTITIES} }}")


def _marker(version: int) -> str:
    return (f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{REVISION_SUBJECT}> tr:dataVersion ?old }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{REVISION_SUBJECT}> tr:dataVersion {version} }} }}")


@dataclass(frozen=True)
class Step:
    to: int
    update: str
    left: str  # ASK: is anything of the old layout left in the entity graphs?


_OLD_TERMS = ("flashBytes", "ramBytes", "ramOverheadBytes", "codeBytes")
STEPS = {
    1: Step(2, _PREFIX + " ;\n".join([
        # a model version's flash is what it needs; whatever else states it is a device
        _rename("flashBytes", "modelFlashBytes", ". ?x a tr:ModelVersion"),
        _rename("flashBytes", "usableFlashBytes"),
        _rename("ramBytes", "usableRamBytes"),
        _rename("ramOverheadBytes", "runtimeRamBytes"),
        _rename("codeBytes", "runtimeCodeBytes"),
        _marker(2)]),
        _PREFIX + "ASK WHERE { GRAPH ?g { ?x ?p ?v } " + _ENTITIES
        + " VALUES ?p { " + " ".join(f"tr:{t}" for t in _OLD_TERMS) + " } }"),
}


def data_version(store: Store) -> int:
    """The data version the store holds (1 when it records none)."""
    rows = store.select(_VERSION)
    return max((int(r["v"]) for r in rows if isinstance(r["v"], int)), default=1)


def migrate(store: Store) -> list[int]:
    """Bring the store to DATA_VERSION, step by step; the versions it went through."""
    done = []
    version = data_version(store)
    while version < DATA_VERSION:
        step = STEPS[version]
        before = store.revision()
        store.update_graphs(step.update, [], under=[ID])
        now = data_version(store)
        if now < step.to or store.ask(step.left) or store.revision() <= before:
            raise MigrationFailed(f"migrating the store from data version {version} to {step.to} "
                                  f"did not take (it reads version {now} back)")
        log.info("store migrated from data version %s to %s", version, step.to)
        done.append(step.to)
        version = now
    return done
