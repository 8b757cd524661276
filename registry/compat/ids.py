"""Model versions and devices named the way people type them.

A model version is its IRI, a model's slug (its latest version) or `slug@N`; a device is
its IRI, its identifier or its source's id (devices/identity.py). Unknown names are
`NotFound`, malformed ones `Invalid`.
"""
from __future__ import annotations

from ..devices.identity import resolve_device


def resolve_model(registry, ref: str) -> str:
    # Imported here: the models package loads the .tflite readers, which checks do not need.
    from ..models import resolve_version
    return resolve_version(registry, ref)


__all__ = ["resolve_device", "resolve_model"]
