"""The registry's side of pull mode: assignments, artifacts and reports, for devices that
prove who they are.

A deployment whose transport is `pull` is an assignment while the rollout has it in
flight (status Sending). The device asks for it, downloads the artifact, and reports,
each request signed with the device's enrolled key (device_requests.py):

    GET  devices/<id>/assignment       204 No Content, or the signed manifest and links
    GET  deployments/<id>/artifact     the model's bytes (checked against their digest)
    POST deployments/<id>/report       {"device", "attempt", "status": "active"|"failed",
                                        "reason", "retryable"}

A device gets only its own assignment and only the artifact of a deployment assigned to
it and still open; a report counts only from the device itself, for a deployment still
open, and for the attempt the device was given. The HTTP side is the `pull` blueprint
(deploy/endpoints.py); this module is what it calls.
"""
from __future__ import annotations

from typing import Any, Mapping

from tinyreg.registry import Registry
from tinyreg.registry.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from tinyreg.registry.keys import parse_public_key
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import TR, deployment_iri, local_name, prefixes

from . import records
from .device_requests import Freshness, claimed_device, verify
from .jobs import ArtifactProblem, Signer, load_artifact, read_version, source_ids
from .records import ACTIVE, FAILED, SENDING, Change, Deployment

MAX_REPORT_BYTES = 64 * 1024

_ASSIGNED = prefixes("tr", "prov") + """SELECT ?d WHERE {
  GRAPH ?d { ?d a tr:Deployment ; tr:targetDevice ?device ; tr:transport "pull" ;
                tr:status tr:Sending ; prov:startedAtTime ?t }
} ORDER BY DESC(?t) LIMIT 1"""

_ENROLLED_KEY = "SELECT ?k WHERE { GRAPH ?device { ?device ?p ?k } }"


def authenticate(registry: Registry, headers: Mapping[str, str], method: str, resource: str,
                 body: bytes = b"") -> str:
    """The device that signed this request (its IRI); Unauthorized otherwise.

    An unknown device and a device without an enrolled key get the same answer, so the
    endpoints do not tell strangers which devices exist."""
    device = claimed_device(headers)
    try:
        rows = registry.store.select(_ENROLLED_KEY, {"device": IRI(device),
                                                     "p": IRI(str(TR.devicePublicKey))})
    except (ValueError, Invalid):
        rows = []
    if len(rows) != 1:
        raise Unauthorized(f"{device[:200]} has no key enrolled with the registry: a device "
                           "pulls once its Thing Description, with its publicKey, is registered")
    key = parse_public_key(str(rows[0]["k"]))
    freshness = registry.cache.setdefault("deploy.freshness", Freshness())
    return verify(key, headers, method, resource, body, freshness)


def assignment(registry: Registry, device_ref: str, device: str) -> dict[str, Any] | None:
    """What `device` should do now, with a manifest signed for it; None when nothing.
    `device_ref` is the id in the request's path, which must be the signer's own."""
    if device_ref != local_name(device):
        raise Forbidden("a device may ask only for its own assignment")
    rows = registry.store.select(_ASSIGNED, {"device": IRI(device)})
    if not rows:
        return None
    d = records.read_deployments(registry, deployment=rows[0]["d"])[0]
    version = read_version(registry, d.version)
    action = "rollback" if d.rollback_of else "deploy"
    device_id = source_ids(registry, [device])[device]
    manifest, signature = Signer(registry).sign(d, version, action, device_id).encoded()
    token = local_name(d.iri)
    out = {"deployment": d.iri, "action": action, "attempt": d.attempts, "manifest": manifest,
           "signature": signature, "report": f"../../deployments/{token}/report"}
    if action == "deploy":
        out["artifact"] = f"../../deployments/{token}/artifact"
    return out


def artifact(registry: Registry, token: str, device: str) -> bytes:
    """The bytes of the model a deployment assigned to `device`, still open, sends."""
    d = _assigned(registry, token, device)
    if d.rollback_of:
        raise NotFound(f"deployment {token} is a rollback: the device keeps the model")
    try:
        return load_artifact(registry, read_version(registry, d.version))
    except ArtifactProblem as exc:
        raise NotFound(str(exc)) from None


def report(registry: Registry, token: str, body: Any, device: str) -> str:
    """Record what a pulling device did; returns the deployment's status now."""
    if not isinstance(body, dict):
        raise Invalid("a report is a JSON object")
    d = _assigned(registry, token, device)
    if body.get("device") != d.device:
        raise Invalid(f"deployment {token} is for {d.device}, not {body.get('device')!r}")
    attempt = body.get("attempt")
    if type(attempt) is not int:
        raise Invalid("a report names the attempt it reports on (`attempt`, from the assignment)")
    if attempt != d.attempts:
        raise Conflict(f"the report is on attempt {attempt}; deployment {token} is at attempt "
                       f"{d.attempts}")
    status, reason = body.get("status"), body.get("reason")
    if status not in ("active", "failed") or (reason is not None and not isinstance(reason, str)):
        raise Invalid("a report's status is 'active' or 'failed', its reason a string")
    if status == "active":
        records.activate(registry, [Change(d.iri, ACTIVE, ended=True)], {d.iri: d.device})
        return ACTIVE
    limit = records.read_rollout(registry, d.rollout).max_attempts if d.rollout else 1
    if body.get("retryable") is True and d.attempts < limit:
        records.set_status(registry, [Change(d.iri, SENDING, attempts=d.attempts + 1,
                                             reason=reason)])
        return SENDING
    records.set_status(registry, [Change(d.iri, FAILED, reason=reason or "the device refused",
                                         ended=True)])
    return FAILED


def _assigned(registry: Registry, token: str, device: str) -> Deployment:
    """The deployment `token`, when it is assigned to `device` and still in flight."""
    try:
        iri = deployment_iri(token)
    except ValueError:
        raise NotFound(f"no deployment {token!r}") from None
    found = records.read_deployments(registry, deployment=iri, names=False)
    if not found:
        raise NotFound(f"no deployment {token!r}")
    d = found[0]
    if d.device != device:
        raise Forbidden(f"deployment {token} is not assigned to {device}")
    if d.transport != "pull":
        raise Conflict(f"deployment {token} is pushed, not pulled")
    if d.status != SENDING:
        raise Conflict(f"deployment {token} is {d.status.lower()}, not waiting for the device")
    return d
