"""The signed manifest that travels with every model sent to a device.

A manifest names what is sent and to whom: the deployment, the target device (by the
registry's IRI and by the device's own id from its Thing Description), the model version,
the artifact's byte size and SHA-256, and a sequence number larger than that of any earlier
order to the same device. The registry signs its exact bytes with its Ed25519 key
(registry/keys.py); the device checks the signature with the public key it was given, that
both names are its own, that the sequence is above the last it accepted, then the bytes it
received against the size and digest the manifest states. So a device activates only
bytes the registry chose for that very device, and never an older order again.

The manifest is canonical JSON (sorted keys, no spaces, UTF-8) and travels as base64url
of those bytes, so nobody has to re-serialise it to check the signature.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT_VERSION = 2  # 2 added `sequence` and `deviceId`
ACTIONS = ("deploy", "rollback")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIELDS = {"tinyregManifest": int, "action": str, "deployment": str, "device": str,
           "deviceId": str, "sequence": int, "model": str, "version": str,
           "versionNumber": int, "sha256": str, "byteSize": int, "format": str,
           "registry": str, "issued": str}


class ManifestError(ValueError):
    """A manifest that cannot be trusted; `signature` tells a bad signature from bad content."""

    def __init__(self, message: str, signature: bool = False):
        super().__init__(message)
        self.signature = signature


@dataclass(frozen=True)
class SignedManifest:
    body: bytes  # the canonical JSON that was signed
    signature: bytes

    @property
    def fields(self) -> dict[str, Any]:
        return json.loads(self.body)

    def encoded(self) -> tuple[str, str]:
        """(manifest, signature) as the text that goes into headers or JSON."""
        return (base64.urlsafe_b64encode(self.body).decode("ascii"),
                base64.b64encode(self.signature).decode("ascii"))


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(key: Ed25519PrivateKey, *, action: str, deployment: str, device: str, device_id: str,
         sequence: int, model: str, version: str, version_number: int, sha256: str,
         byte_size: int, media_type: str, registry: str, issued: str) -> SignedManifest:
    fields = {"tinyregManifest": FORMAT_VERSION, "action": action, "deployment": deployment,
              "device": device, "deviceId": device_id, "sequence": int(sequence),
              "model": model, "version": version, "versionNumber": int(version_number),
              "sha256": sha256, "byteSize": int(byte_size), "format": media_type,
              "registry": registry, "issued": issued}
    _check(fields)
    body = canonical(fields)
    return SignedManifest(body, key.sign(body))


def verify(public_key: Ed25519PublicKey, manifest_text: str, signature_text: str) -> dict[str, Any]:
    """The manifest's fields, once its signature and content check out; else ManifestError."""
    try:
        body = base64.urlsafe_b64decode(manifest_text.encode("ascii"))
        signature = base64.b64decode(signature_text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ManifestError("the manifest or its signature is not valid base64") from None
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        raise ManifestError("the manifest's signature does not verify with the registry key "
                            "this device trusts", signature=True) from None
    try:
        fields = json.loads(body)
    except ValueError:
        raise ManifestError("the signed manifest is not JSON") from None
    _check(fields)
    return fields


def _check(fields: Any) -> None:
    if not isinstance(fields, dict):
        raise ManifestError("the manifest is not a JSON object")
    for name, kind in _FIELDS.items():
        value = fields.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ManifestError(f"manifest field {name!r} is missing or not a {kind.__name__}")
    if fields["tinyregManifest"] != FORMAT_VERSION:
        raise ManifestError(f"manifest format {fields['tinyregManifest']} is not supported "
                            f"(this device reads format {FORMAT_VERSION})")
    if fields["action"] not in ACTIONS:
        raise ManifestError(f"unknown manifest action {fields['action']!r}")
    if not _SHA256.fullmatch(fields["sha256"]):
        raise ManifestError("manifest field 'sha256' is not a SHA-256 hex digest")
    if fields["byteSize"] < 0:
        raise ManifestError("manifest field 'byteSize' is negative")
    if fields["sequence"] < 1:
        raise ManifestError("manifest field 'sequence' is not a positive number")
