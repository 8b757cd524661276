"""What was deployed where, as PROV activities in the graph: the durable state of rollouts.

Every deployment is a `tr:Deployment` (a `prov:Activity`) in its own named graph, every
rollout a `tr:Rollout` in its own. The rollout runner writes a state before it acts on it
(Pending before anything is sent, Sending before a send), so a registry killed at any
moment restarts from the graph: nothing it did is unrecorded, and what is recorded as in
flight is checked with the device before it is sent again.

    <deployment> a tr:Deployment ; tr:deployedVersion <v> ; tr:targetDevice <d> ;
        tr:partOfRollout <r> ; tr:wave 0 ; tr:transport "http" ; tr:status tr:Active ;
        tr:attempts 1 ; prov:startedAtTime … ; prov:endedAtTime … ; [tr:reason "…"] ;
        [tr:replaces <previous deployment>] ; [tr:rollbackOf <deployment undone>] ;
        tr:manifestSequence n ; prov:wasAssociatedWith <registry> .
    <d> tr:activeDeployment <deployment> .        (in the graph of the active deployment)

Status changes are targeted updates over many deployments at once (a VALUES block), not
rewrites of whole graphs: a wave of a thousand devices costs a handful of requests.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from rdflib.namespace import PROV, RDF

from tinyreg.registry import Registry
from tinyreg.registry.keys import REGISTRY_IRI
from tinyreg.registry.store import IRI
from tinyreg.registry.store.terms import to_oxigraph
from tinyreg.registry.vocab import DEPLOYMENT_BASE, ROLLOUT_BASE, TR, deployment_iri, prefixes, slug

from . import sparql

# The statuses and the readers live in the core (registry/deployments.py), which reads
# these records for the API, the dashboard and the CLI; the runner here reads them too.
from tinyreg.registry.deployments import (  # noqa: F401 (re-exported for deploy/)
    ACTIVE, CANCELLED, COMPLETED, FAILED, OPEN, PAUSED, PENDING, REFUSED, ROLLED_BACK, RUNNING,
    SENDING, STATUSES, SUPERSEDED, Deployment, Rollout, active_deployments, list_rollouts,
    read_deployments, read_rollout, status_counts)

_PREFIXES = prefixes("tr", "prov", "schema")


def rollout_iri(token: str) -> str:
    return f"{ROLLOUT_BASE}{slug(token)}"


def new_token() -> str:
    return uuid.uuid4().hex[:10]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# ---------------------------------------------------------------- writing new records

@dataclass
class NewDeployment:
    iri: str
    device: str
    version: str
    wave: int
    transport: str
    status: str = PENDING
    reason: str | None = None
    rollback_of: str | None = None


@dataclass
class NewRollout:
    iri: str
    version: str | None  # None for a rollback, whose deployments go back to different versions
    waves: Sequence[int]
    max_failure_rate: float
    max_attempts: int
    selection: str
    rollback_of: str | None = None
    deployments: list[NewDeployment] = field(default_factory=list)


def _triples(subject: str, pairs: Iterable[tuple[Any, Any]]) -> str:
    s = str(to_oxigraph(IRI(subject)))
    return "".join(f"{s} <{p}> {sparql.term(o)} .\n" for p, o in pairs if o is not None)


def _deployment_ntriples(d: NewDeployment, rollout: str, started: dt.datetime,
                         sequence: int) -> str:
    ended = started if d.status not in OPEN else None
    return _triples(d.iri, [
        (RDF.type, IRI(str(TR.Deployment))), (TR.deployedVersion, IRI(d.version)),
        (TR.targetDevice, IRI(d.device)), (TR.partOfRollout, IRI(rollout)),
        (TR.wave, d.wave), (TR.transport, d.transport), (TR.status, IRI(str(TR[d.status]))),
        (TR.attempts, 0), (TR.manifestSequence, sequence), (PROV.startedAtTime, started),
        (PROV.endedAtTime, ended), (TR.reason, d.reason),
        (PROV.wasAssociatedWith, IRI(REGISTRY_IRI)),
        (TR.rollbackOf, IRI(d.rollback_of) if d.rollback_of else None)])


_LAST_SEQUENCES = _PREFIXES + """
SELECT ?device (MAX(?n) AS ?last) WHERE {
  %s GRAPH ?d { ?d tr:targetDevice ?device ; tr:manifestSequence ?n }
} GROUP BY ?device"""


def next_sequences(registry: Registry, devices: Iterable[str]) -> dict[str, int]:
    """For each device, the manifest sequence its next deployment gets: above every one it
    was given, and at least the clock in milliseconds, so that a registry restored from an
    older backup still numbers above what its devices accepted since."""
    devices = list(dict.fromkeys(devices))
    floor = int(time.time() * 1000)
    last = {}
    if devices:
        last = {row["device"]: int(row["last"]) for row in registry.store.select(
            _LAST_SEQUENCES % sparql.iris("device", devices)) if row.get("last") is not None}
    return {device: max(last.get(device, 0) + 1, floor) for device in devices}


def create(registry: Registry, rollout: NewRollout) -> None:
    """The rollout and all its deployments, in one atomic write: all recorded or none.

    The graphs are new, so they go in as one bulk load (one batch, atomic), the rollout's
    own graph last: a rollout that can be found has all its deployments."""
    started = now()
    sequences = next_sequences(registry, (d.device for d in rollout.deployments))
    graphs = {d.iri: _deployment_ntriples(d, rollout.iri, started, sequences[d.device])
              for d in rollout.deployments}
    graphs[rollout.iri] = _triples(rollout.iri, [
        (RDF.type, IRI(str(TR.Rollout))),
        (PROV.used, IRI(rollout.version) if rollout.version else None),
        (TR.rolloutState, IRI(str(TR[RUNNING]))),
        (TR.waveSizes, ",".join(str(w) for w in rollout.waves)),
        (TR.maxFailureRate, Decimal(str(rollout.max_failure_rate))),
        (TR.maxAttempts, rollout.max_attempts), (TR.selection, rollout.selection),
        (PROV.startedAtTime, started), (PROV.wasAssociatedWith, IRI(REGISTRY_IRI)),
        (TR.rollbackOf, IRI(rollout.rollback_of) if rollout.rollback_of else None)])
    registry.store.bulk_load(graphs.items(), batch=len(graphs))


def new_deployment_iri(rollout_token: str, index: int) -> str:
    return deployment_iri(f"{rollout_token}-{index}")


# ---------------------------------------------------------------- state changes

@dataclass(frozen=True)
class Change:
    deployment: str
    status: str
    attempts: int | None = None  # None keeps the recorded count
    reason: str | None = None  # replaces the recorded reason (None clears it)
    ended: bool = False  # stamp prov:endedAtTime now


_SET_STATUS = """
DELETE { GRAPH ?d { ?d tr:status ?s0 . ?d tr:attempts ?a0 . ?d tr:reason ?r0 . ?d prov:endedAtTime ?e0 } }
INSERT { GRAPH ?d { ?d tr:status ?status . ?d tr:attempts ?a1 . ?d tr:reason ?reason . ?d prov:endedAtTime ?e1 } }
WHERE {
  %s
  GRAPH ?d { ?d tr:status ?s0 OPTIONAL { ?d tr:attempts ?a0 } OPTIONAL { ?d tr:reason ?r0 }
             OPTIONAL { ?d prov:endedAtTime ?e0 } }
  BIND(COALESCE(?attempts, ?a0) AS ?a1)
  BIND(COALESCE(?ended, ?e0) AS ?e1)
}"""

# The device's previous deployment steps aside: RolledBack when the new one undoes it.
_RETIRE_PREVIOUS = """
DELETE { GRAPH ?prev { ?dev tr:activeDeployment ?prev . ?prev tr:status ?ps } }
INSERT { GRAPH ?prev { ?prev tr:status ?next } GRAPH ?d { ?d tr:replaces ?prev } }
WHERE {
  %s
  GRAPH ?prev { ?dev tr:activeDeployment ?prev . ?prev tr:status ?ps }
  FILTER(?prev != ?d)
  BIND(IF(EXISTS { GRAPH ?d { ?d tr:rollbackOf ?prev } }, tr:RolledBack, tr:Superseded) AS ?next)
}"""

# The BIND is for Virtuoso, which fails an update whose WHERE holds only a VALUES block
# ("SR002: Function string_output_string needs a string output").
_MARK_ACTIVE = """
INSERT { GRAPH ?d { ?dev tr:activeDeployment ?d } } WHERE { %s BIND(?d AS ?graph) }"""


def _update_values(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A VALUES block for an update. One row goes in twice (the same solution twice writes
    the same triples): Virtuoso turns a one-row block into constants and then writes
    nothing, or fails after writing ("SR002: ... string_output_string")."""
    rows = list(rows)
    return sparql.values(names, rows * 2 if len(rows) == 1 else rows)


def _status_values(changes: Sequence[Change], stamp: dt.datetime) -> str:
    return _update_values(
        ["d", "status", "attempts", "reason", "ended"],
        ([IRI(c.deployment), IRI(str(TR[c.status])), c.attempts, c.reason,
          stamp if c.ended else None] for c in changes))


def set_status(registry: Registry, changes: Sequence[Change]) -> None:
    """Apply many status changes in one atomic update."""
    if not changes:
        return
    update = _PREFIXES + _SET_STATUS % _status_values(changes, now())
    registry.store.update_graphs(update, [c.deployment for c in changes])


def activate(registry: Registry, changes: Sequence[Change], devices: dict[str, str]) -> None:
    """Mark deployments Active and make each its device's active deployment, retiring the
    one before it, in one atomic update. `devices` maps deployment to device."""
    if not changes:
        return
    pairs = _update_values(["d", "dev"], ([IRI(c.deployment), IRI(devices[c.deployment])]
                                         for c in changes))
    ops = [_RETIRE_PREVIOUS % pairs, _SET_STATUS % _status_values(changes, now()),
           _MARK_ACTIVE % pairs]
    # The deployments retired are found by the update itself: the change log names them
    # by their namespace.
    registry.store.update_graphs(_PREFIXES + " ;\n".join(ops), [c.deployment for c in changes],
                                 under=[DEPLOYMENT_BASE])


_SET_ROLLOUT = """
DELETE { GRAPH ?r { ?r tr:rolloutState ?s0 . ?r tr:reason ?r0 . ?r prov:endedAtTime ?e0 } }
INSERT { GRAPH ?r { ?r tr:rolloutState ?state . ?r tr:reason ?reason . ?r prov:endedAtTime ?ended } }
WHERE {
  %s
  GRAPH ?r { ?r tr:rolloutState ?s0 OPTIONAL { ?r tr:reason ?r0 } OPTIONAL { ?r prov:endedAtTime ?e0 } }
}"""


def set_rollout_state(registry: Registry, rollout: str, state: str,
                      reason: str | None = None) -> None:
    ended = now() if state in (COMPLETED, CANCELLED) else None
    block = _update_values(["r", "state", "reason", "ended"],
                          [[IRI(rollout), IRI(str(TR[state])), reason, ended]])
    registry.store.update_graphs(_PREFIXES + _SET_ROLLOUT % block, [rollout])
