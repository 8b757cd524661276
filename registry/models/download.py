"""A model version's .tflite file as the registry holds it, for a download: the stored
bytes, checked against the SHA-256 and size the version's graph records, and a file name.

Read-only, like every other read: no token is asked for the bytes a registry serves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound
from ..references import resolve_model
from ..store import IRI
from ..vocab import local_name, prefixes
from .artifacts import read_artifact

if TYPE_CHECKING:
    from ..core import Registry

_FILE = prefixes("tr") + """SELECT ?model ?n ?sha ?size WHERE {
  GRAPH ?v { ?v tr:versionOf ?model ; tr:versionNumber ?n ; tr:artifact ?a .
             ?a tr:sha256 ?sha ; tr:byteSize ?size }
}"""


@dataclass(frozen=True)
class ModelFile:
    iri: str
    model: str
    number: int
    sha256: str
    data: bytes

    @property
    def filename(self) -> str:
        """`slug-vN.tflite`: the name says which version it is once it left the registry."""
        return f"{local_name(self.model)}-v{self.number}.tflite"


def model_file(registry: Registry, ref: str) -> ModelFile:
    """The file of the version `ref` names (slug, slug@N, IRI or an owl:sameAs IRI).
    NotFound when the version is unknown, holds no file, or its bytes on disk are gone or
    no longer match the digest and size its graph records (never bytes it cannot vouch for)."""
    iri = resolve_model(registry, ref)
    rows = registry.store.select(_FILE, {"v": IRI(iri)})
    if not rows:
        raise NotFound(f"model version {ref} has no .tflite file in the registry")
    row = rows[0]
    sha, size = str(row["sha"]), int(row["size"])
    data = read_artifact(registry.artifacts_path, sha)
    if len(data) != size:
        raise NotFound(f"the file of {ref} has {len(data)} bytes on disk, its version records {size}")
    return ModelFile(iri, str(row["model"]), int(row["n"]), sha, data)
