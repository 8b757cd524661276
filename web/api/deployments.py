"""Deployments and rollouts over HTTP: what was sent where, what runs where, how each
rollout went. Each view parses its arguments and asks `registry.deployments`; the
dashboard's deployments page and device page ask the same with the same typed arguments."""
from __future__ import annotations

from flask import jsonify, request

from ..current import current_registry
from . import args
from .views import bp, paged_json


@bp.get("/deployments")
def deployments():
    return paged_json(current_registry().deployments.list(args.deployment_filter(request.args),
                                                          args.page(request.args)))


@bp.get("/deployments/<path:ref>")
def deployment_one(ref: str):
    return jsonify(current_registry().deployments.get(ref))


@bp.get("/rollouts")
def rollouts():
    return paged_json(current_registry().deployments.rollout_list(args.page(request.args)))


@bp.get("/rollouts/<path:ref>")
def rollout_one(ref: str):
    return jsonify(current_registry().deployments.rollout(ref))
