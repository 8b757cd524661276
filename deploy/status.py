"""Reading deployments and rollouts back, for the CLI, the API and the dashboard.

Arguments accept what people type (a device identifier, `model@N`, a rollout's short id)
as well as IRIs; answers are plain dicts ready for JSON.
"""
from __future__ import annotations

from typing import Any

from tinyreg.registry import Registry
from tinyreg.registry.errors import NotFound
from tinyreg.registry.references import resolve_deployment, resolve_model, resolve_rollout

from . import records, sparql
from .selection import named_devices


def list_deployments(registry: Registry, device: str | None = None, version: str | None = None,
                     rollout: str | None = None) -> list[dict[str, Any]]:
    """Deployments, oldest first, optionally of one device, one model version, one rollout."""

    return [d.as_dict() for d in records.read_deployments(
        registry,
        device=named_devices(registry, [device])[0] if device else None,
        version=resolve_model(registry, version) if version else None,
        rollout=resolve_rollout(rollout) if rollout else None)]


def deployment_status(registry: Registry, deployment: str) -> dict[str, Any]:
    found = records.read_deployments(registry, deployment=resolve_deployment(deployment))
    if not found:
        raise NotFound(f"no deployment {deployment}")
    return found[0].as_dict()


def rollout_status(registry: Registry, rollout: str) -> dict[str, Any]:
    """The rollout's state and policy, and its deployments counted by status and by wave."""
    r = records.read_rollout(registry, resolve_rollout(rollout))
    deployments = records.read_deployments(registry, rollout=r.iri)
    by_status: dict[str, int] = {}
    by_wave: dict[int, dict[str, int]] = {}
    for d in deployments:
        by_status[d.status] = by_status.get(d.status, 0) + 1
        wave = by_wave.setdefault(d.wave, {})
        wave[d.status] = wave.get(d.status, 0) + 1
    return {"rollout": r.iri, "id": r.token, "version": r.version, "state": r.state,
            "reason": r.reason, "waves": list(r.waves), "maxFailureRate": r.max_failure_rate,
            "maxAttempts": r.max_attempts, "selection": r.selection, "started": r.started,
            "ended": r.ended, "rollbackOf": r.rollback_of, "deployments": len(deployments),
            "byStatus": by_status, "byWave": {str(k): v for k, v in sorted(by_wave.items())}}


_IDENTIFIERS = """
SELECT ?v ?id WHERE { %s GRAPH ?v { ?v <https://schema.org/identifier> ?id } }"""


def _identifiers(registry: Registry, iris: set[str]) -> dict[str, str]:
    """`model@N` for version IRIs, as the version graphs name them."""
    if not iris:
        return {}
    rows = registry.store.select(_IDENTIFIERS % sparql.iris("v", sorted(iris)))
    return {row["v"]: row["id"] for row in rows}


def list_rollouts(registry: Registry) -> list[dict[str, Any]]:
    rollouts = records.list_rollouts(registry)
    names = _identifiers(registry, {r.version for r in rollouts if r.version})
    return [{"id": r.token, "rollout": r.iri, "version": r.version,
             # A rollback's deployments go back to several versions: it names none.
             "version_id": names.get(r.version) if r.version else "(rollback)",
             "state": r.state, "started": r.started, "ended": r.ended,
             "selection": r.selection, "reason": r.reason} for r in rollouts]


def what_runs_where(registry: Registry) -> list[dict[str, Any]]:
    """Each device with an active deployment: the deployment and its version."""
    return [d.as_dict() for d in records.read_deployments(registry)
            if d.status == records.ACTIVE]
