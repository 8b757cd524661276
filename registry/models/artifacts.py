"""Model files stored by content: `artifacts/<sha256[:2]>/<sha256>`.

The same bytes are one file however often they are registered. A file is written to a
temporary name, flushed to disk, then renamed into place, so a crash never leaves a
truncated artifact under a real name; the graph that points at it is written after.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import NotFound


def artifact_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_artifact(root: Path, data: bytes) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = artifact_path(root, sha)
    if path.is_file() and path.stat().st_size == len(data):
        return sha, path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
    for tmp in root.glob("??/.incoming-*"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count
