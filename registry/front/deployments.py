"""`registry.deployments`: what was sent where, what runs where, how each rollout went, as
people ask for it (a device as they name it, `model@N`, a rollout's short id). Answers are
plain dicts ready for JSON; lists are paged newest first, or whole, oldest first."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..deployments import STATUSES, list_rollouts, outcome, read_deployments, read_rollout, status_counts
from ..errors import Invalid, NotFound
from ..paging import Page, Paged
from ..references import resolve_deployment, resolve_device, resolve_model, resolve_rollout
from ..store import IRI
from ..store.terms import OneOf
from ..vocab import local_name

if TYPE_CHECKING:
    from ..core import Registry


@dataclass(frozen=True)
class DeploymentFilter:
    """Deployments to one `device`, of one `model` version, of one `rollout`, in one
    `status` (each as people name it; None: any)."""
    device: str | None = None
    model: str | None = None
    rollout: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise Invalid(f"`status` is one of {', '.join(STATUSES)}, got {self.status!r}")


_IDENTIFIERS = "SELECT ?v ?id WHERE { GRAPH ?v { ?v <https://schema.org/identifier> ?id } }"


class Deployments:
    """The registry's deployments and rollouts (`registry.deployments`)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def records(self, where: DeploymentFilter = DeploymentFilter()) -> list[dict[str, Any]]:
        """Every deployment the filter picks, oldest first, with its `id`."""
        registry = self.registry
        found = read_deployments(
            registry,
            device=resolve_device(registry, where.device) if where.device else None,
            version=resolve_model(registry, where.model) if where.model else None,
            rollout=resolve_rollout(where.rollout) if where.rollout else None)
        return [_row(d.as_dict()) for d in found if where.status in (None, d.status)]

    def list(self, where: DeploymentFilter = DeploymentFilter(), page: Page = Page()) -> Paged[dict]:
        """A page of the deployments the filter picks, newest first."""
        return page.of(self.records(where)[::-1])

    def get(self, ref: str) -> dict[str, Any]:
        """One deployment, by its IRI or its token."""
        found = read_deployments(self.registry, deployment=resolve_deployment(ref))
        if not found:
            raise NotFound(f"no deployment {ref}")
        return _row(found[0].as_dict())

    def rollouts(self) -> list[dict[str, Any]]:
        """Every rollout, newest first, naming its version as people type it."""
        rollouts = list_rollouts(self.registry)
        versions = sorted({r.version for r in rollouts if r.version})
        names = {row["v"]: row["id"] for row in self.registry.store.select(
            _IDENTIFIERS, {"v": OneOf(map(IRI, versions))})} if versions else {}
        return [{"id": r.token, "rollout": r.iri, "version": r.version,
                 # A rollback's deployments go back to several versions: it names none.
                 "version_id": names.get(r.version) if r.version else "(rollback)",
                 "state": r.state, "started": r.started, "ended": r.ended,
                 "selection": r.selection, "reason": r.reason} for r in rollouts]

    def rollout_list(self, page: Page = Page()) -> Paged[dict]:
        """A page of the rollouts, each with its `outcome` (rollouts.outcome)."""
        listed = page.of(self.rollouts())
        for r in listed.items:  # the page's only: one count query each
            r["outcome"] = outcome(r["state"], status_counts(self.registry, r["rollout"]))
        return listed

    def rollout(self, ref: str) -> dict[str, Any]:
        """A rollout's state and policy, and its deployments counted by status and wave."""
        r = read_rollout(self.registry, resolve_rollout(ref))
        deployments = read_deployments(self.registry, rollout=r.iri)
        by_status: dict[str, int] = {}
        by_wave: dict[int, dict[str, int]] = {}
        for d in deployments:
            by_status[d.status] = by_status.get(d.status, 0) + 1
            wave = by_wave.setdefault(d.wave, {})
            wave[d.status] = wave.get(d.status, 0) + 1
        return {"rollout": r.iri, "id": r.token, "version": r.version, "state": r.state,
                "outcome": outcome(r.state, by_status),
                "reason": r.reason, "waves": list(r.waves), "maxFailureRate": r.max_failure_rate,
                "maxAttempts": r.max_attempts, "selection": r.selection, "started": r.started,
                "ended": r.ended, "rollbackOf": r.rollback_of, "deployments": len(deployments),
                "byStatus": by_status, "byWave": {str(k): v for k, v in sorted(by_wave.items())}}


def _row(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": local_name(d["iri"]), **d}
