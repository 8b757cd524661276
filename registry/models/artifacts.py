"""Model files stored by content: `artifacts/<sha256[:2]>/<sha256>`.

The same bytes are one file however often they are registered. A file is written to a
temporary name, flushed to disk, then renamed into place, so a crash never leaves a
truncated artifact under a real name; the graph that points at it is written after.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..atomicfile import write_atomically
from ..errors import NotFound

_INCOMING = ".incoming-"  # temporary names, removed by remove_incomplete after a crash


def artifact_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_artifact(root: Path, data: bytes) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = artifact_path(root, sha)
    if path.is_file() and path.stat().st_size == len(data):
        return sha, path
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, prefix=_INCOMING)
    return sha, path


def read_artifact(root: Path, sha256: str) -> bytes:
    path = artifact_path(root, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"artifact {sha256} is not in the artifact store") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise NotFound(f"artifact {sha256} is damaged on disk (its bytes no longer match)")
    return data


def stored_digests(root: Path) -> set[str]:
    return {p.name for p in root.glob("??/*") if len(p.name) == 64}


def remove_incomplete(root: Path) -> int:
    """Delete temporary files left by a write that was killed; returns how many."""
    count = 0
    for tmp in root.glob(f"??/{_INCOMING}*"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count
