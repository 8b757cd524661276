"""A device's models on disk: the active one, the one kept for rollback, and the log.

    <dir>/models/<sha256>.tflite   the active and the kept model, nothing else
    <dir>/incoming/                bytes being received (never read as a model)
    <dir>/state.json               {"active": {...}, "previous": {...}, "sequence": n}
    <dir>/signing-key.pem          the device's own key (its public half is in its TD)
    <dir>/activations.jsonl        one line per activation, appended after it happened

A model becomes active in one step: `state.json` is replaced by a rename, after the model
file and the new state were flushed to disk. A crash at any point leaves the device with
the old state or the new one, never a half-written model under a real name. `sequence`
is the number of the last manifest the device accepted, written in the same step as the
model it brought, so a restarted device still refuses every order not newer than it.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO

from tinyreg.registry.atomicfile import fsync_dir, write_atomically


class Staged:
    """Bytes received into `incoming/`, hashed as they arrive."""

    def __init__(self, directory: Path):
        fd, name = tempfile.mkstemp(dir=directory, prefix="model-", suffix=".part")
        self.path = Path(name)
        self._out: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def finish(self) -> str:
        """Flush to disk; the SHA-256 of what was received."""
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._out.closed:
            self._out.close()
        self.path.unlink(missing_ok=True)


class ModelState:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.models = self.dir / "models"
        self.incoming = self.dir / "incoming"
        self.models.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)
        for leftover in self.incoming.iterdir():  # a transfer a crash interrupted
            leftover.unlink(missing_ok=True)
        self._state_file = self.dir / "state.json"
        self._log = self.dir / "activations.jsonl"
        self.lock = threading.Lock()  # one change of the active model at a time

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_file.read_text())
        except FileNotFoundError:
            return {"active": None, "previous": None, "sequence": 0}

    def sequence(self) -> int:
        """The sequence of the last manifest accepted (0: none yet)."""
        return int(self.read().get("sequence") or 0)

    def model_path(self, sha256: str) -> Path:
        return self.models / f"{sha256}.tflite"

    def stage(self) -> Staged:
        return Staged(self.incoming)

    def activate(self, staged: Staged, entry: dict[str, Any], sequence: int) -> dict[str, Any]:
        """Make the staged, verified model the active one; the active one becomes the kept one."""
        target = self.model_path(entry["sha256"])
        os.replace(staged.path, target)
        fsync_dir(self.models)
        return self._switch(entry, self.read().get("active"), "deploy", sequence)

    def rollback(self, entry: dict[str, Any], sequence: int) -> dict[str, Any]:
        """Make the kept model active again; the active one becomes the kept one."""
        return self._switch(entry, self.read().get("active"), "rollback", sequence)

    def _switch(self, active: dict[str, Any], previous: dict[str, Any] | None,
                action: str, sequence: int) -> dict[str, Any]:
        state = {"active": active, "previous": previous, "sequence": sequence}
        write_atomically(self._state_file, json.dumps(state, sort_keys=True).encode())
        with open(self._log, "a", encoding="utf-8") as log:
            log.write(json.dumps({"action": action, **active}, sort_keys=True) + "\n")
            log.flush()
            os.fsync(log.fileno())
        keep = {e["sha256"] for e in (active, previous) if e}
        for path in self.models.glob("*.tflite"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
        return state

    def activations(self) -> list[dict[str, Any]]:
        try:
            lines = self._log.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]
