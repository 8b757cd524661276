"""Reading deployments and rollouts back: the records deploy/records.py writes (PROV
activities, one named graph each), as typed values.

The core reads them (`registry.deployments`, registry/front/deployments.py) for the API, the
dashboard and the CLI; the rollout runner in deploy/ reads them to resume. Only deploy/
writes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .errors import NotFound
from .store import IRI
from .store.terms import OneOf
from .vocab import local_name, prefixes

if TYPE_CHECKING:
    from .core import Registry

PENDING, SENDING, ACTIVE, FAILED, REFUSED, ROLLED_BACK, CANCELLED, SUPERSEDED = (
    "Pending", "Sending", "Active", "Failed", "Refused", "RolledBack", "Cancelled", "Superseded")
STATUSES = (PENDING, SENDING, ACTIVE, FAILED, REFUSED, ROLLED_BACK, CANCELLED, SUPERSEDED)
OPEN = (PENDING, SENDING)  # not decided yet: the runner (or a pulling device) still acts
RUNNING, PAUSED, COMPLETED = "Running", "Paused", "Completed"

_PREFIXES = prefixes("tr", "prov", "schema")


@dataclass(frozen=True)
class Deployment:
    iri: str
    device: str
    version: str
    rollout: str | None
    wave: int
    status: str
    attempts: int
    transport: str
    reason: str | None
    started: str | None
    ended: str | None
    replaces: str | None
    rollback_of: str | None
    device_id: str | None
    version_id: str | None
    sequence: int | None = None  # the number its manifest carries (tr:manifestSequence)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Start times are kept to the second: a device's deployments started within one second are
# ordered by the manifest sequence, which only grows per device.
_DEPLOYMENTS = _PREFIXES + """
SELECT ?d ?device ?version ?rollout ?wave ?status ?attempts ?transport ?reason ?started ?ended
       ?replaces ?rollbackOf ?deviceId ?versionId ?sequence
WHERE {
  GRAPH ?d {
    ?d a tr:Deployment ; tr:targetDevice ?device ; tr:deployedVersion ?version ; tr:status ?status .
    OPTIONAL { ?d tr:partOfRollout ?rollout } OPTIONAL { ?d tr:wave ?wave }
    OPTIONAL { ?d tr:attempts ?attempts } OPTIONAL { ?d tr:transport ?transport }
    OPTIONAL { ?d tr:reason ?reason } OPTIONAL { ?d prov:startedAtTime ?started }
    OPTIONAL { ?d prov:endedAtTime ?ended } OPTIONAL { ?d tr:replaces ?replaces }
    OPTIONAL { ?d tr:rollbackOf ?rollbackOf } OPTIONAL { ?d tr:manifestSequence ?sequence }
  }
  %s
}
ORDER BY ?started ?sequence ?d"""
_NAMES = """
  OPTIONAL { GRAPH ?device { ?device schema:identifier ?deviceId } }
  OPTIONAL { GRAPH ?version { ?version schema:identifier ?versionId } }"""


def read_deployments(registry: Registry, *, device: str | None = None, version: str | None = None,
                     rollout: str | None = None, deployment: str | None = None,
                     names: bool = True) -> list[Deployment]:
    """Deployments matching the IRIs given; `names` adds the device's and version's
    identifiers (for people; the rollout runner does without)."""
    bindings = {name: IRI(value) for name, value in (
        ("device", device), ("version", version), ("rollout", rollout), ("d", deployment))
        if value}
    query = _DEPLOYMENTS % (_NAMES if names else "")
    return [Deployment(
        iri=r["d"], device=r["device"], version=r["version"], rollout=r.get("rollout"),
        wave=int(r.get("wave") or 0), status=local_name(r["status"]),
        attempts=int(r.get("attempts") or 0), transport=str(r.get("transport") or "http"),
        reason=r.get("reason"), started=_text(r.get("started")), ended=_text(r.get("ended")),
        replaces=r.get("replaces"), rollback_of=r.get("rollbackOf"),
        device_id=r.get("deviceId"), version_id=r.get("versionId"),
        sequence=int(r["sequence"]) if r.get("sequence") is not None else None)
        for r in registry.store.select(query, bindings or None)]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Rollout:
    iri: str
    version: str | None
    state: str
    waves: tuple[int, ...]
    max_failure_rate: float
    max_attempts: int
    selection: str
    started: str | None
    ended: str | None
    reason: str | None
    rollback_of: str | None

    @property
    def token(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


_ROLLOUT = _PREFIXES + """
SELECT ?version ?state ?waves ?rate ?attempts ?selection ?started ?ended ?reason ?rollbackOf WHERE {
  GRAPH ?r {
    ?r a tr:Rollout ; tr:rolloutState ?state ; tr:waveSizes ?waves ;
       tr:maxFailureRate ?rate ; tr:maxAttempts ?attempts .
    OPTIONAL { ?r prov:used ?version } OPTIONAL { ?r tr:selection ?selection } OPTIONAL { ?r prov:startedAtTime ?started }
    OPTIONAL { ?r prov:endedAtTime ?ended } OPTIONAL { ?r tr:reason ?reason }
    OPTIONAL { ?r tr:rollbackOf ?rollbackOf }
  }
}"""


def read_rollout(registry: Registry, iri: str) -> Rollout:
    rows = registry.store.select(_ROLLOUT, {"r": IRI(iri)})
    if not rows:
        raise NotFound(f"no rollout {local_name(iri)}")
    r = rows[0]
    return Rollout(iri=iri, version=r.get("version"), state=local_name(r["state"]),
                   waves=tuple(int(w) for w in str(r["waves"]).split(",")),
                   max_failure_rate=float(r["rate"]), max_attempts=int(r["attempts"]),
                   selection=str(r.get("selection") or ""), started=_text(r.get("started")),
                   ended=_text(r.get("ended")), reason=r.get("reason"),
                   rollback_of=r.get("rollbackOf"))


_COUNTS = _PREFIXES + """
SELECT ?wave ?status (COUNT(?d) AS ?n) WHERE {
  GRAPH ?d { ?d tr:partOfRollout ?r ; tr:status ?status OPTIONAL { ?d tr:wave ?wave } }
} GROUP BY ?wave ?status"""


def status_counts(registry: Registry, rollout: str, wave: int | None = None) -> dict[str, int]:
    """How many of the rollout's deployments (of one wave) are in each status."""
    counts: dict[str, int] = {}
    for row in registry.store.select(_COUNTS, {"r": IRI(rollout)}):
        if wave is None or int(row.get("wave") or 0) == wave:
            status = local_name(row["status"])
            counts[status] = counts.get(status, 0) + int(row["n"])
    return counts


# Statuses of a deployment whose model reached its device.
_INSTALLED = (ACTIVE, ROLLED_BACK, SUPERSEDED)


def outcome(state: str, by_status: dict[str, int]) -> str:
    """A rollout's state as people should read it: one that completed without installing
    anything says so (every device refused it, or none took it) rather than "Completed"."""
    if state != COMPLETED or any(by_status.get(s) for s in _INSTALLED):
        return state
    total = sum(by_status.values())
    if total and by_status.get(REFUSED, 0) == total:
        return "Refused: nothing sent"
    return "Completed: nothing installed"


_ROLLOUTS = _PREFIXES + """
SELECT ?r ?started WHERE { GRAPH ?r { ?r a tr:Rollout OPTIONAL { ?r prov:startedAtTime ?started } } }
ORDER BY DESC(?started) ?r"""


def list_rollouts(registry: Registry) -> list[Rollout]:
    return [read_rollout(registry, row["r"]) for row in registry.store.select(_ROLLOUTS)]


_ACTIVE = _PREFIXES + """
SELECT ?device ?d WHERE { GRAPH ?d { ?device tr:activeDeployment ?d } }"""


def active_deployments(registry: Registry, devices: Iterable[str]) -> dict[str, str]:
    """Device → the deployment active on it, for the devices that have one."""
    devices = list(devices)
    if not devices:
        return {}
    rows = registry.store.select(_ACTIVE, {"device": OneOf(map(IRI, devices))})
    return {row["device"]: row["d"] for row in rows}
