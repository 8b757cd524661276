"""Deployments and rollouts over HTTP: what was sent where, what runs where, how each
rollout went. Each view reads one function of `tinyreg.deploy` (its status module); the
dashboard's deployments page and device page render the same answers."""
from __future__ import annotations

from typing import Any, Mapping

from flask import jsonify, request

from tinyreg.deploy import deployment_status, list_deployments, list_rollouts, rollout_status
from tinyreg.deploy.records import STATUSES
from tinyreg.registry import Registry
from tinyreg.registry.errors import Invalid
from tinyreg.registry.references import resolve_deployment, resolve_rollout

from ..current import current_registry
from tinyreg.registry.listing import page
from tinyreg.registry.vocab import local_name
from .views import bp, paged_json



def _row(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": local_name(d["iri"]), **d}


def deployment_listing(registry: Registry, args: Mapping[str, str]) -> dict[str, Any]:
    """Deployments, newest first, of one `device`, `model` (version: slug or slug@N),
    `rollout` and/or `status`, paged."""
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise Invalid(f"`status` is one of {', '.join(STATUSES)}, got {status!r}")
    rows = list_deployments(registry, device=args.get("device") or None,
                            version=args.get("model") or None,
                            rollout=resolve_rollout(args["rollout"]) if args.get("rollout") else None)
    if status is not None:
        rows = [d for d in rows if d["status"] == status]
    return page([_row(d) for d in reversed(rows)], args)


def rollout_listing(registry: Registry, args: Mapping[str, str]) -> dict[str, Any]:
    """Rollouts, newest first, paged."""
    return page(list_rollouts(registry), args)


def deployment(registry: Registry, ref: str) -> dict[str, Any]:
    return _row(deployment_status(registry, resolve_deployment(ref)))


def rollout(registry: Registry, ref: str) -> dict[str, Any]:
    return rollout_status(registry, resolve_rollout(ref))


@bp.get("/deployments")
def deployments():
    return paged_json(deployment_listing(current_registry(), request.args))


@bp.get("/deployments/<path:ref>")
def deployment_one(ref: str):
    return jsonify(deployment(current_registry(), ref))


@bp.get("/rollouts")
def rollouts():
    return paged_json(rollout_listing(current_registry(), request.args))


@bp.get("/rollouts/<path:ref>")
def rollout_one(ref: str):
    return jsonify(rollout(current_registry(), ref))
