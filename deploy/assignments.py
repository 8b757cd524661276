"""The registry's side of pull mode: assignments, artifacts and reports over HTTP.

A deployment whose transport is `pull` is an assignment while the rollout has it in
flight (status Sending). The device asks for it, downloads the artifact, and reports:

    GET  devices/<slug>/assignment    204 No Content, or the signed manifest and links
    GET  artifacts/<sha256>           the model's bytes (checked against their digest)
    POST deployments/<id>/report      {"device", "status": "active"|"failed", "reason", "retryable"}

`make_app` is a plain WSGI application, so it can be served on its own (`tinyreg deploy
--pull-listen`) or mounted beside the web API. Links in an assignment are relative, so
the prefix it is mounted under does not matter.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

from tinyreg.registry.errors import Conflict, Invalid, NotFound, TinyregError
from tinyreg.registry.models.artifacts import read_artifact
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import deployment_iri, device_iri

from . import records
from .jobs import Signer, read_version
from .protocol import JSON_MEDIA_TYPE, MODEL_MEDIA_TYPE, PROBLEM_MEDIA_TYPE
from .records import ACTIVE, FAILED, OPEN, SENDING, Change

MAX_REPORT_BYTES = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

_ASSIGNED = """
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?d WHERE {
  GRAPH ?d { ?d a tr:Deployment ; tr:targetDevice ?device ; tr:transport "pull" ;
                tr:status tr:Sending ; prov:startedAtTime ?t }
} ORDER BY DESC(?t) LIMIT 1"""

_KNOWN_ARTIFACT = """
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
ASK { ?v tr:artifact ?a . ?a tr:sha256 ?sha }"""


def assignment(registry, device_slug: str) -> dict[str, Any] | None:
    """What the device should do now, with a manifest signed for it; None when nothing."""
    try:
        device = device_iri(device_slug)
    except ValueError:
        raise NotFound(f"no device {device_slug!r}") from None
    rows = registry.store.select(_ASSIGNED, {"device": IRI(device)})
    if not rows:
        return None
    d = records.read_deployments(registry, deployment=rows[0]["d"])[0]
    version = read_version(registry, d.version)
    action = "rollback" if d.rollback_of else "deploy"
    manifest, signature = Signer(registry).sign(d, version, action).encoded()
    out = {"deployment": d.iri, "action": action, "manifest": manifest, "signature": signature,
           "report": f"../../deployments/{records.local(d.iri)}/report"}
    if action == "deploy":
        out["artifact"] = f"../../artifacts/{version.sha256}"
    return out


def artifact(registry, sha256: str) -> bytes:
    if not _SHA256.fullmatch(sha256) or not registry.store.ask(_KNOWN_ARTIFACT, {"sha": sha256}):
        raise NotFound(f"no artifact {sha256}")
    return read_artifact(registry.artifacts_path, sha256)


def report(registry, token: str, body: Any) -> str:
    """Record what a pulling device did; returns the deployment's status now."""
    if not isinstance(body, dict):
        raise Invalid("a report is a JSON object")
    try:
        iri = deployment_iri(token)
    except ValueError:
        raise NotFound(f"no deployment {token!r}") from None
    found = records.read_deployments(registry, deployment=iri)
    if not found:
        raise NotFound(f"no deployment {token!r}")
    d = found[0]
    if body.get("device") != d.device:
        raise Invalid(f"deployment {token} is for {d.device}, not {body.get('device')!r}")
    if d.transport != "pull":
        raise Conflict(f"deployment {token} is pushed, not pulled")
    status, reason = body.get("status"), body.get("reason")
    if status not in ("active", "failed") or (reason is not None and not isinstance(reason, str)):
        raise Invalid("a report's status is 'active' or 'failed', its reason a string")
    if status == "active":
        # The device's word on what it runs is the truth, even after the wave gave up on it.
        if d.status != ACTIVE:
            records.activate(registry, [Change(d.iri, ACTIVE, ended=True)], {d.iri: d.device})
        return ACTIVE
    if d.status not in OPEN:
        raise Conflict(f"deployment {token} is already {d.status.lower()}")
    limit = records.read_rollout(registry, d.rollout).max_attempts if d.rollout else 1
    if body.get("retryable") is True and d.attempts < limit:
        records.set_status(registry, [Change(d.iri, SENDING, attempts=d.attempts + 1,
                                             reason=reason)])
        return SENDING
    records.set_status(registry, [Change(d.iri, FAILED, reason=reason or "the device refused",
                                         ended=True)])
    return FAILED


# ---------------------------------------------------------------- WSGI

def make_app(registry) -> Callable:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        try:
            if method == "GET" and len(parts) == 3 and parts[::2] == ["devices", "assignment"]:
                found = assignment(registry, parts[1])
                if found is None:
                    return _answer(start_response, "204 No Content", b"", JSON_MEDIA_TYPE)
                return _answer(start_response, "200 OK", json.dumps(found).encode(), JSON_MEDIA_TYPE)
            if method == "GET" and len(parts) == 2 and parts[0] == "artifacts":
                return _answer(start_response, "200 OK", artifact(registry, parts[1]),
                               MODEL_MEDIA_TYPE)
            if method == "POST" and len(parts) == 3 and parts[::2] == ["deployments", "report"]:
                status = report(registry, parts[1], _json_body(environ))
                return _answer(start_response, "200 OK", json.dumps({"status": status}).encode(),
                               JSON_MEDIA_TYPE)
            raise NotFound(f"nothing at {method} /{'/'.join(parts)}")
        except TinyregError as exc:
            body = dict(exc.problem(), instance=environ.get("PATH_INFO", ""))
            return _answer(start_response, f"{exc.status} {exc.title}", json.dumps(body).encode(),
                           PROBLEM_MEDIA_TYPE)
    return app


def _json_body(environ: dict) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Invalid("Content-Length is not a number") from None
    if length > MAX_REPORT_BYTES:
        raise Invalid(f"a report of {length} bytes is larger than {MAX_REPORT_BYTES}")
    try:
        return json.loads(environ["wsgi.input"].read(length) or b"null")
    except ValueError:
        raise Invalid("the report is not JSON") from None


def _answer(start_response: Callable, status: str, body: bytes, media_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", media_type), ("Content-Length", str(len(body)))])
    return [body]
