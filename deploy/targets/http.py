"""Push over HTTP to the action the device's Thing Description offers.

The URL, method and content type come from the deployModel (or rollbackModel) form found
in the device's graph. What went wrong is sorted into "send again" (the device is offline,
the connection dropped, the bytes arrived damaged, the device answered 5xx) and "do not"
(a bad signature, a model the device cannot run, anything else the device refuses).
"""
from __future__ import annotations

import http.client
import json
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..protocol import (ACTIVE_PROPERTY, DEPLOY_ACTION, JSON_MEDIA_TYPE, MANIFEST_HEADER,
                        ROLLBACK_ACTION, SIGNATURE_HEADER, Form)
from .base import UNKNOWN, Outcome, Target

if TYPE_CHECKING:
    from ..jobs import Job

MAX_ANSWER_BYTES = 1 << 20


class HttpPush(Target):
    name = "http"

    def serves(self, forms: dict[str, Form]) -> bool:
        return DEPLOY_ACTION in forms

    @staticmethod
    def _form(forms: dict[str, Form], action: str) -> Form | None:
        return forms.get(ROLLBACK_ACTION if action == "rollback" else DEPLOY_ACTION)

    def describe(self, forms: dict[str, Form], action: str) -> str:
        form = self._form(forms, action)
        return form.describe() if form else f"no HTTP form for {action}"

    def deliver(self, job: Job, timeout_s: float) -> Outcome:
        form = self._form(job.forms, job.action)
        if form is None:
            return Outcome(False, reason=f"the device's Thing Description offers no HTTP form "
                                         f"for {job.action}")
        manifest, signature = job.headers
        if job.action == "rollback":
            body = json.dumps({"manifest": manifest, "signature": signature}).encode()
            headers = {}
        else:
            body = job.artifact or b""
            headers = {MANIFEST_HEADER: manifest, SIGNATURE_HEADER: signature}
        headers.update({"Content-Type": form.content_type, "Content-Length": str(len(body))})
        try:
            status, answer = _request(form, body, headers, timeout_s)
        except ConnectionRefusedError:
            return Outcome(False, retryable=True, reason="device offline: connection refused")
        except (socket.timeout, TimeoutError):
            return Outcome(False, retryable=True, reason=f"no answer within {timeout_s:g} s")
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead) as exc:
            return Outcome(False, retryable=True,
                           reason=f"connection dropped mid-transfer ({type(exc).__name__})")
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(False, retryable=True, reason=f"cannot reach the device: {exc}")
        if 200 <= status < 300:
            return Outcome(True)
        detail, retryable = _problem(answer)
        return Outcome(False, retryable=retryable if retryable is not None else status >= 500,
                       reason=f"device answered {status}: {detail}")

    def active_deployment(self, job: Job, timeout_s: float):
        form = job.forms.get(ACTIVE_PROPERTY)
        if form is None:
            return UNKNOWN
        try:
            status, answer = _request(Form(form.href, "GET", JSON_MEDIA_TYPE), None, {}, timeout_s)
            if status != 200:
                return UNKNOWN
            active = json.loads(answer).get("active")
        except (OSError, http.client.HTTPException, ValueError, AttributeError):
            return UNKNOWN
        return active.get("deployment") if isinstance(active, dict) else None


def _request(form: Form, body: bytes | None, headers: dict[str, str],
             timeout_s: float) -> tuple[int, bytes]:
    url = urlsplit(form.href)
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port, timeout=timeout_s)
    try:
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        connection.request(form.method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_ANSWER_BYTES)
    finally:
        connection.close()


def _problem(answer: bytes) -> tuple[str, bool | None]:
    """The device's problem+json detail and its `retryable` member, when it sent them."""
    try:
        body = json.loads(answer)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = answer.decode("utf-8", "replace").strip().splitlines()
        return (text[0][:200] if text else "no explanation"), None
    retryable = body.get("retryable")
    detail = str(body.get("detail") or body.get("title") or "no explanation")
    return detail, retryable if isinstance(retryable, bool) else None
