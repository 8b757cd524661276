"""What one send carries: the model version's bytes and a manifest signed for one device.

The artifact is read once per rollout and checked against the SHA-256 the version's graph
records, so bytes that rotted in the registry's own store are never signed nor sent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable

from tinyreg.registry import Registry
from tinyreg.registry.errors import NotFound
from tinyreg.registry.keys import REGISTRY_IRI, load_key, publish_key
from tinyreg.registry.models.artifacts import read_artifact
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import prefixes

from . import manifest as manifests
from . import sparql
from .protocol import MODEL_MEDIA_TYPE, Form
from .records import Deployment, now

_VERSION = prefixes("tr") + """SELECT ?model ?n ?sha ?size ?format WHERE {
  GRAPH ?v { ?v tr:versionOf ?model ; tr:versionNumber ?n ; tr:artifact ?a .
             ?a tr:sha256 ?sha ; tr:byteSize ?size OPTIONAL { ?a tr:format ?format } }
}"""


class ArtifactProblem(Exception):
    """The registry cannot vouch for the bytes of a version: nothing may be sent."""


@dataclass(frozen=True)
class Version:
    iri: str
    model: str
    number: int
    sha256: str
    byte_size: int
    media_type: str


def read_version(registry: Registry, iri: str) -> Version:
    rows = registry.store.select(_VERSION, {"v": IRI(iri)})
    if not rows:
        raise NotFound(f"no model version {iri} with an artifact")
    r = rows[0]
    return Version(iri, r["model"], int(r["n"]), r["sha"], int(r["size"]),
                   str(r.get("format") or MODEL_MEDIA_TYPE))


def load_artifact(registry: Registry, version: Version) -> bytes:
    """The version's bytes, checked; ArtifactProblem when they are missing or damaged."""
    try:
        data = read_artifact(registry.artifacts_path, version.sha256)
    except NotFound as exc:
        raise ArtifactProblem(exc.detail) from None
    if len(data) != version.byte_size:
        raise ArtifactProblem(f"artifact {version.sha256} has {len(data)} bytes, its version "
                              f"records {version.byte_size}")
    return data


@dataclass(frozen=True)
class Job:
    """One deployment to carry out: what to send, to which device, through which forms."""
    deployment: Deployment
    version: Version
    action: str  # "deploy" or "rollback"
    manifest: manifests.SignedManifest
    artifact: bytes | None  # None for a rollback: the device has the bytes
    forms: dict[str, Form]

    @property
    def device(self) -> str:
        return self.deployment.device

    @cached_property
    def headers(self) -> tuple[str, str]:
        return self.manifest.encoded()


# The device's own identity, from its source file: a TD's `id`, kept as owl:sameAs.
_SOURCE_IDS = prefixes("owl") + """
SELECT ?device ?id WHERE { %s GRAPH ?device { ?device owl:sameAs ?id } }"""


def source_ids(registry: Registry, devices: Iterable[str]) -> dict[str, str]:
    """Each device's id in its own description (a TD's `id`); the registry's IRI for a
    device whose source names none (a board from a catalog)."""
    devices = list(dict.fromkeys(devices))
    found: dict[str, list[str]] = {}
    if devices:
        for row in registry.store.select(_SOURCE_IDS % sparql.iris("device", devices)):
            found.setdefault(row["device"], []).append(str(row["id"]))
    return {d: min(found[d]) if d in found else d for d in devices}


class Signer:
    """Signs manifests with the registry's key (created and published if it is missing)."""

    def __init__(self, registry: Registry):
        publish_key(registry.store, registry.data_path)
        self._key = load_key(registry.data_path)

    def sign(self, deployment: Deployment, version: Version, action: str,
             device_id: str) -> manifests.SignedManifest:
        # A deployment recorded before sequences existed is numbered by the clock.
        sequence = deployment.sequence or int(time.time() * 1000)
        return manifests.sign(
            self._key, action=action, deployment=deployment.iri, device=deployment.device,
            device_id=device_id, sequence=sequence, model=version.model, version=version.iri,
            version_number=version.number, sha256=version.sha256, byte_size=version.byte_size,
            media_type=version.media_type, registry=REGISTRY_IRI, issued=now().isoformat())
