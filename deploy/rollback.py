"""Rolling back: each device re-activates the model it kept when the current one came.

A rollback is a rollout of its own whose deployments carry `tr:rollbackOf` (the deployment
they undo) and the version that deployment replaced. No model bytes travel: the device
gets a signed order naming the kept model's SHA-256 and swaps back if it still holds it.
When the rollback deployment becomes active, the undone one is recorded as RolledBack.
"""
from __future__ import annotations

from dataclasses import dataclass

from tinyreg.registry import Registry
from tinyreg.registry.errors import Conflict, Invalid
from tinyreg.registry.vocab import local_name

from . import records, targets
from .protocol import find_forms
from .records import NewDeployment, NewRollout
from .rollout import Options


@dataclass(frozen=True)
class Skipped:
    device: str
    reason: str


def start_rollback(registry: Registry, devices: list[str] | None = None, rollout: str | None = None,
                   options: Options | None = None) -> tuple[str, list[Skipped]]:
    """Record a rollback of `devices`, or of every device `rollout` made active.

    Returns the rollback rollout's IRI and the devices left out with the reason."""
    options = options or Options()
    if rollout is not None:
        records.read_rollout(registry, rollout)  # NotFound for a rollout that does not exist
        made = records.read_deployments(registry, rollout=rollout)
        ours = {d.iri for d in made}
        active = {device: current for device, current in records.active_deployments(
            registry, {d.device for d in made}).items() if current in ours}
        devices = sorted(active)
        selection = f"rollback of rollout {local_name(rollout)}"
    elif devices:
        active = records.active_deployments(registry, devices)
        selection = "rollback of " + ", ".join(local_name(d) for d in devices)
    else:
        raise Invalid("name the devices to roll back, or a rollout")
    skipped, planned = [], []
    forms = find_forms(registry, devices)
    for device in devices:
        current = active.get(device)
        if current is None:
            skipped.append(Skipped(device, "no model is active on it"))
            continue
        undone = records.read_deployments(registry, deployment=current)[0]
        if undone.replaces is None:
            skipped.append(Skipped(device, "its active model is the first it was given; "
                                           "there is nothing to go back to"))
            continue
        before = records.read_deployments(registry, deployment=undone.replaces)[0]
        planned.append((device, before.version, current,
                        targets.choose(targets.AUTO, forms[device])))
    if not planned:
        raise Conflict("nothing to roll back: " + "; ".join(
            f"{local_name(s.device)}: {s.reason}" for s in skipped))
    token = records.new_token()
    iri = records.rollout_iri(token)
    deployments = [NewDeployment(records.new_deployment_iri(token, i), device, version, 0,
                                 transport, rollback_of=current)
                   for i, (device, version, current, transport) in enumerate(planned)]
    records.create(registry, NewRollout(
        iri, None, (len(deployments),), 1.0, options.max_attempts, selection,
        rollback_of=rollout, deployments=deployments))
    return iri, skipped
