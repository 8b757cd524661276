"""The pull endpoints as a Flask blueprint: `tinyreg serve` mounts it under PULL_PREFIX,
`tinyreg deploy --pull-listen` serves it alone (web/app.py builds both apps).

Views only read the request, have the device authenticated, call deploy/assignments.py and
answer; errors are the registry's own (`TinyregError`), which the app's one handler turns
into problem+json. Links in an assignment are relative, so the prefix does not matter.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from tinyreg.registry.errors import Invalid, TooLarge
from tinyreg.web.current import current_registry

from . import assignments
from .device_requests import CREATED_HEADER, DEVICE_HEADER, SIGNATURE_HEADER, WINDOW_S
from .protocol import MODEL_MEDIA_TYPE

# Devices that cannot be reached (behind NAT, asleep) poll here for their assignments:
# `tinyreg agent --pull http://<host>:<port>/pull/`.
PULL_PREFIX = "/pull"

bp = Blueprint("pull", __name__)



def _signer(resource: str, body: bytes = b"") -> str:
    return assignments.authenticate(current_registry(), request.headers, request.method, resource, body)


@bp.get("/")
def index():
    """What a device author needs to find the rest (nothing here is secret)."""
    return jsonify({
        "assignment": "devices/{device}/assignment", "artifact": "deployments/{id}/artifact",
        "report": "deployments/{id}/report",
        "signedWith": [DEVICE_HEADER, CREATED_HEADER, SIGNATURE_HEADER],
        "clockWindowSeconds": WINDOW_S,
    })


@bp.get("/devices/<device_ref>/assignment")
def assignment(device_ref: str):
    device = _signer(f"devices/{device_ref}/assignment")
    found = assignments.assignment(current_registry(), device_ref, device)
    if found is None:
        return Response(status=204)
    return jsonify(found)


@bp.get("/deployments/<token>/artifact")
def artifact(token: str):
    device = _signer(f"deployments/{token}/artifact")
    return Response(assignments.artifact(current_registry(), token, device), mimetype=MODEL_MEDIA_TYPE)


@bp.post("/deployments/<token>/report")
def report(token: str):
    limit = assignments.MAX_REPORT_BYTES
    if (request.content_length or 0) > limit:
        raise TooLarge(f"a report of {request.content_length} bytes is larger than {limit}")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"a report is at most {limit} bytes")
    device = _signer(f"deployments/{token}/report", body)
    try:
        parsed = json.loads(body or b"null")
    except (ValueError, RecursionError):
        raise Invalid("the report is not JSON") from None
    return jsonify({"status": assignments.report(current_registry(), token, parsed, device)})
