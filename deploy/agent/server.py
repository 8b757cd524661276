"""The agent's HTTP side: the affordances its devices' Thing Descriptions announce.

One process serves one or more devices, each under `/<device-slug>/` (its TD's `base`):

    GET  /<slug>/td               the device's Thing Description
    GET  /<slug>/model            property activeModel
    PUT  /<slug>/model            action deployModel (body: the model; headers: manifest)
    POST /<slug>/model/rollback   action rollbackModel (JSON: manifest and signature)
    GET  /.well-known/wot         the TDs of every device served here

Errors are RFC 7807 problem+json with a `retryable` member that tells the registry whether
sending again could succeed. Every connection has a socket timeout: a registry (or anyone)
that stops sending mid-body is cut off after `timeout_s`, and since a device takes its lock
only to swap a verified model in, a stalled transfer holds up no other deployment.
"""
from __future__ import annotations

import json
import logging
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tinyreg.registry.errors import PROBLEM_TYPE

from ..protocol import JSON_MEDIA_TYPE, MANIFEST_HEADER, SIGNATURE_HEADER
from .device import Device, Dropped, Refusal

log = logging.getLogger(__name__)
MAX_JSON_BYTES = 64 * 1024
MAX_DRAIN_BYTES = 64 * 1024 * 1024


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a rollout opens many connections at once

    def __init__(self, address: tuple[str, int], devices: dict[str, Device],
                 timeout_s: float = 30.0):
        super().__init__(address, Handler)
        self.devices = devices
        self.timeout_s = timeout_s

    def handle_error(self, request, client_address) -> None:
        # A registry that hangs up mid-answer (killed, timed out) is the network's business.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.info("%s hung up: %s", client_address[0], error)
        else:
            log.exception("request from %s failed", client_address[0])


class Handler(BaseHTTPRequestHandler):
    server: AgentServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.timeout = self.server.timeout_s  # StreamRequestHandler puts it on the socket
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # ---- routing
    def _route(self) -> tuple[Device | None, str]:
        parts = self.path.split("?", 1)[0].strip("/").split("/", 1)
        device = self.server.devices.get(parts[0])
        return device, (parts[1] if len(parts) > 1 else "")

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/.well-known/wot":
            return self._json(200, [d.td for d in self.server.devices.values()])
        device, rest = self._route()
        if device is None:
            return self._problem(Refusal(404, "No such device", f"no device at {self.path}", False))
        if rest == "td":
            return self._json(200, device.td, "application/td+json")
        if rest == "model":
            return self._json(200, device.info())
        self._problem(Refusal(404, "Not found", f"{device.slug} has no resource {rest!r}", False))

    def do_PUT(self) -> None:
        device, rest = self._route()
        if device is None or rest != "model":
            self._drain()
            return self._problem(Refusal(404, "Not found", f"nothing to PUT at {self.path}", False))
        body = _Body(self.rfile)
        try:
            fields = device.check_manifest(self.headers.get(MANIFEST_HEADER),
                                           self.headers.get(SIGNATURE_HEADER), "deploy")
            length = self._length()
            answer = device.receive(fields, length, body.read)
        except Refusal as refusal:
            self._drain(body.count)
            return self._problem(refusal)
        except Dropped as exc:
            log.info("%s: %s", device.slug, exc)
            return self._cut()
        except ConnectionError:
            raise
        except Exception as exc:  # e.g. a full disk: nothing was activated, try again later
            log.exception("%s: receiving a model failed", device.slug)
            return self._problem(Refusal(500, "Device error", str(exc), retryable=True))
        self._drain(body.count)
        self._json(200, answer)

    def do_POST(self) -> None:
        device, rest = self._route()
        if device is None or rest != "model/rollback":
            self._drain()
            return self._problem(Refusal(404, "Not found", f"nothing to POST at {self.path}", False))
        try:
            body = self._json_body()
            fields = device.check_manifest(body.get("manifest"), body.get("signature"), "rollback")
            self._json(200, device.rollback(fields))
        except Refusal as refusal:
            self._problem(refusal)

    # ---- helpers
    def _length(self) -> int | None:
        text = self.headers.get("Content-Length")
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise Refusal(400, "Bad request", f"Content-Length {text!r} is not a number", False)

    def _json_body(self) -> dict[str, Any]:
        length = self._length() or 0
        if length > MAX_JSON_BYTES:
            raise Refusal(413, "Too large", f"a {length}-byte JSON body", False)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            raise Refusal(400, "Bad request", "the body is not JSON", False) from None
        if not isinstance(body, dict):
            raise Refusal(400, "Bad request", "the body is not a JSON object", False)
        return body

    def _drain(self, consumed: int = 0) -> None:
        """Read what the client sent and nobody read, so that it gets to read the answer."""
        try:
            left = (self._length() or 0) - consumed
        except Refusal:
            left = 0
        if left > MAX_DRAIN_BYTES:
            self.close_connection = True
            return
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    def _cut(self) -> None:
        """End the connection without an answer, as a dropped link does."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, status: int, body: Any, media_type: str = JSON_MEDIA_TYPE) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, refusal: Refusal) -> None:
        self.close_connection = True
        data = json.dumps(refusal.problem()).encode()
        self.send_response(refusal.status)
        self.send_header("Content-Type", PROBLEM_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


class _Body:
    """The request body, counting what was read."""

    def __init__(self, stream):
        self._stream = stream
        self.count = 0

    def read(self, size: int) -> bytes:
        try:
            chunk = self._stream.read(size)
        except (TimeoutError, socket.timeout):
            raise Dropped(f"no bytes came for a while after {self.count} bytes") from None
        self.count += len(chunk)
        return chunk
