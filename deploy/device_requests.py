"""Requests a device signs for the pull endpoints, both halves: the device signs, the
registry checks.

A device that pulls holds an Ed25519 key pair; the public half is enrolled with its Thing
Description (`publicKey`, stored as `tr:devicePublicKey`), so the registry keeps no secret
of the device's. Every request to the pull endpoints carries three headers:

    Tinyreg-Device             the device's IRI in the registry
    Tinyreg-Created            when the device made the request, Unix time in milliseconds
    Tinyreg-Request-Signature  base64 of the Ed25519 signature of the request's statement

The statement is these lines joined by a newline: `tinyreg-device-request/1`, the device's
IRI, the method, the resource (the request's path below the pull endpoints' root, e.g.
`devices/<id>/assignment`), the creation time, and the SHA-256 (hex) of the body. So a
signature is good for one device, one request and one body only. The registry accepts a
request made within WINDOW_S of its own clock, and from each device only requests made
later than the last one it accepted: a captured request can be sent again neither as it
is nor as another.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from typing import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tinyreg.registry.errors import Unauthorized

DEVICE_HEADER = "Tinyreg-Device"
CREATED_HEADER = "Tinyreg-Created"
SIGNATURE_HEADER = "Tinyreg-Request-Signature"
SCHEME = "tinyreg-device-request/1"
WINDOW_S = 300  # how far a device's clock may be from the registry's


def now_ms() -> int:
    return int(time.time() * 1000)


def statement(device: str, method: str, resource: str, created: int, body: bytes) -> bytes:
    return "\n".join((SCHEME, device, method.upper(), resource, str(created),
                      hashlib.sha256(body).hexdigest())).encode()


class RequestSigner:
    """The device's half: headers that make one request its own."""

    def __init__(self, device: str, key: Ed25519PrivateKey):
        self.device = device
        self._key = key
        self._last = 0
        self._lock = threading.Lock()

    def headers(self, method: str, resource: str, body: bytes = b"") -> dict[str, str]:
        with self._lock:  # strictly increasing, as the registry requires
            created = self._last = max(now_ms(), self._last + 1)
        signature = self._key.sign(statement(self.device, method, resource, created, body))
        return {DEVICE_HEADER: self.device, CREATED_HEADER: str(created),
                SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii")}


class Freshness:
    """The registry's memory of the last request it accepted from each device (one entry
    per device that pulls, so it stays as small as the fleet)."""

    def __init__(self, window_s: float = WINDOW_S):
        self.window_ms = int(window_s * 1000)
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def accept(self, device: str, created: int) -> None:
        skew = created - now_ms()
        if abs(skew) > self.window_ms:
            raise Unauthorized(f"the request was made {abs(skew) / 1000:.0f} s "
                               f"{'after' if skew > 0 else 'before'} the registry's clock; "
                               f"it accepts {self.window_ms // 1000} s either way")
        with self._lock:
            if created <= self._last.get(device, 0):
                raise Unauthorized("the request is not newer than the last one this device "
                                   "made: a replay, or a clock that went back")
            self._last[device] = created


def claimed_device(headers: Mapping[str, str]) -> str:
    """The device a request says it comes from; Unauthorized when it names none."""
    device = headers.get(DEVICE_HEADER)
    if not device or not headers.get(SIGNATURE_HEADER) or not headers.get(CREATED_HEADER):
        raise Unauthorized(f"a device signs its requests to the pull endpoints: headers "
                           f"{DEVICE_HEADER}, {CREATED_HEADER} and {SIGNATURE_HEADER}")
    return device


def verify(public_key: Ed25519PublicKey, headers: Mapping[str, str], method: str,
           resource: str, body: bytes, freshness: Freshness) -> str:
    """The device that signed the request; Unauthorized when the signature does not hold
    or the request is stale or replayed."""
    device = claimed_device(headers)
    created_text = headers[CREATED_HEADER]
    if not created_text.isdigit() or len(created_text) > 16:
        raise Unauthorized(f"{CREATED_HEADER} {created_text[:40]!r} is not a time in milliseconds")
    created = int(created_text)
    try:
        signature = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
        public_key.verify(signature, statement(device, method, resource, created, body))
    except (binascii.Error, ValueError, InvalidSignature):
        raise Unauthorized(f"the request's signature does not verify with the key enrolled "
                           f"for {device}") from None
    freshness.accept(device, created)
    return device
