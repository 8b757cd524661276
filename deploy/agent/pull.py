"""Pull mode, for devices the registry cannot reach (behind NAT, asleep most of the time).

The device asks the registry for its assignment now and then; when there is one it
downloads the artifact the assignment points at, runs the same checks as for a pushed
model, and reports the outcome. Every request is signed with the device's own key
(deploy/device_requests.py). The URLs come from the assignment, not from this code:

    GET  {pull}/devices/<id>/assignment     204, or {"deployment", "action", "attempt",
                                            "manifest", "signature", "artifact": URL,
                                            "report": URL}
    GET  <artifact>                         the model's bytes
    POST <report>                           {"device", "deployment", "attempt",
                                            "status": "active" | "failed", "reason",
                                            "retryable"}
"""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from .device import Device, Dropped, Refusal

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, devices: list[Device], pull_url: str, interval_s: float,
                 timeout_s: float = 30.0):
        self.devices = devices
        self.base = pull_url.rstrip("/") + "/"
        self.interval_s = interval_s
        self.timeout_s = timeout_s  # on every socket operation: a stalled registry frees us
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for device in self.devices:
                if self.stop.is_set():
                    break
                try:
                    self.poll(device)
                except (OSError, urllib.error.URLError, ValueError) as exc:
                    log.info("%s: the registry cannot be reached: %s", device.slug, exc)
            self.stop.wait(self.interval_s)

    def poll(self, device: Device) -> str | None:
        """One round for one device; the status it reported, or None when nothing was due."""
        url = urljoin(self.base, f"devices/{device.slug}/assignment")
        with self._open(device, url) as answer:
            if answer.status == 204:
                return None
            assignment = json.loads(answer.read())
        report = urljoin(url, assignment["report"])
        try:
            self._carry_out(device, assignment, url)
            outcome: dict[str, Any] = {"status": "active"}
        except Refusal as refusal:
            outcome = {"status": "failed", "reason": refusal.detail,
                       "retryable": refusal.retryable}
        except (Dropped, OSError, urllib.error.URLError) as exc:
            outcome = {"status": "failed", "reason": f"download failed: {exc}", "retryable": True}
        fields = {"device": device.iri, "deployment": assignment.get("deployment"),
                  "attempt": assignment.get("attempt"), **outcome}
        with self._open(device, report, json.dumps(fields).encode()):
            pass
        return outcome["status"]

    def _carry_out(self, device: Device, assignment: dict[str, Any], url: str) -> None:
        action = assignment.get("action", "deploy")
        fields = device.check_manifest(assignment.get("manifest"), assignment.get("signature"),
                                       action)
        if action == "rollback":
            device.rollback(fields)
            return
        if device.is_active(fields):
            return
        with self._open(device, urljoin(url, assignment["artifact"])) as download:
            length = download.headers.get("Content-Length")
            device.receive(fields, int(length) if length else None, download.read)

    def _open(self, device: Device, url: str, body: bytes | None = None):
        """A request to the pull endpoints, signed by `device` (POST when there is a body)."""
        root, path = urlsplit(self.base).path, unquote(urlsplit(url).path)
        if urlsplit(url).netloc != urlsplit(self.base).netloc or not path.startswith(root):
            raise ValueError(f"{url} is not below the pull endpoints at {self.base}")
        method = "GET" if body is None else "POST"
        headers = device.signer.headers(method, path[len(root):], body or b"")
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        return urllib.request.urlopen(request, timeout=self.timeout_s)
