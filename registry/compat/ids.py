"""Model versions and devices named the way people type them.

A model version is its IRI, a model's slug (its latest version) or `slug@N`; a device is
its IRI or its slug. Unknown names are `NotFound`, malformed ones `Invalid`.
"""
from __future__ import annotations

from ..errors import Invalid, NotFound
from ..vocab import device_iri


def resolve_model(registry, ref: str) -> str:
    # Imported here: the models package loads the .tflite readers, which checks do not need.
    from ..models import resolve_version
    return resolve_version(registry, ref)


def resolve_device(registry, ref: str) -> str:
    if ref.startswith(("http://", "https://", "urn:")):
        iri = ref
    else:
        try:
            iri = device_iri(ref)
        except ValueError:
            raise Invalid(f"not a device name: {ref!r}") from None
    if not registry.store.has_graph(iri):
        raise NotFound(f"no device {ref}" + ("" if ref == iri else f" ({iri})"))
    return iri


__all__ = ["resolve_device", "resolve_model"]
