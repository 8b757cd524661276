"""Compatibility over HTTP: which devices for a model, which models for a device, one pair,
a slice of the matrix, what a change would win or lose, and the best model for a task.
Each view parses its arguments, asks one question of `registry.compat` and answers JSON;
the dashboard renders the same answers."""
from __future__ import annotations

from flask import jsonify, request

from tinyreg.registry.listing import version_ref

from ..current import current_registry
from . import args
from .views import bp

_EXAMPLE = {"model": "kws-tiny", "device": "arduino-nano-33-ble-sense",
            "task": "keyword-spotting", "metric": "accuracy"}


@bp.get("/models/<path:ref>/devices")
def model_devices(ref: str):
    a = request.args
    return jsonify(current_registry().compat.devices_for(ref, args.match_filter(a),
                                                         args.page(a)).as_dict())


@bp.get("/devices/<path:device_id>/models")
def device_models(device_id: str):
    a = request.args
    return jsonify(current_registry().compat.models_for(device_id, args.match_filter(a),
                                                        args.page(a)).as_dict())


@bp.get("/models/<path:ref>/what-if")
def model_changes(ref: str):
    return jsonify(current_registry().compat.what_if(model=ref, **args.changes(request.args))
                   .as_dict())


@bp.get("/devices/<path:device_id>/what-if")
def device_changes(device_id: str):
    return jsonify(current_registry().compat.what_if(device=device_id, **args.changes(request.args))
                   .as_dict())


@bp.get("/compat/check")
def compat_check():
    model, device = args.required(request.args, "model", "device", example=_EXAMPLE)
    return jsonify(current_registry().compat.check(model, device).as_dict())


@bp.get("/compat/matrix")
def compat_matrix():
    a = request.args
    return jsonify(current_registry().compat.matrix_slice(
        args.listed(a, "models"), args.listed(a, "devices"), args.page(a, 100),
        reasons=args.flag(a, "reasons")).as_dict())


@bp.get("/compat/best")
def compat_best():
    a = request.args
    device, task, metric = args.required(a, "device", "task", "metric", example=_EXAMPLE)
    ranked = current_registry().compat.best(device, task, metric, on_slice=a.get("slice") or None,
                                            explain=args.flag(a, "explain"),
                                            max_latency_ms=args.latency(a))
    return jsonify({"items": [dict(r.as_dict(), id=version_ref(r.iri)) for r in ranked]})
