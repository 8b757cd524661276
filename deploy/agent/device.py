"""One simulated device: what its Thing Description declares, and the checks it makes
before it activates a model.

In order, for a deployment: the manifest's signature (the registry's key), that the
manifest names this device, the announced size against the manifest and the flash the
device has free, then — while the bytes arrive — their size and SHA-256, then a test load
on the device's runtime within the RAM it declares. Only then is the model swapped in.
Any failed check leaves the active model as it was and answers with a `Refusal` that
says whether sending again could help.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tinyreg.registry.devices.td import parse_td
from tinyreg.registry.vocab import TR, device_iri, slug

from .. import manifest as manifests
from ..protocol import PROBLEM_BASE, affordances
from .faults import Faults
from .state import ModelState
from .testload import test_load

CHUNK = 64 * 1024


class Refusal(Exception):
    """The device will not activate what it was sent; `status` is the HTTP status."""

    def __init__(self, status: int, title: str, detail: str, retryable: bool):
        super().__init__(detail)
        self.status, self.title, self.detail, self.retryable = status, title, detail, retryable

    def problem(self) -> dict[str, Any]:
        return {"type": PROBLEM_BASE + self.title.lower().replace(" ", "-"), "title": self.title,
                "status": self.status, "detail": self.detail, "retryable": self.retryable}


class Dropped(Exception):
    """The transfer ended before all announced bytes arrived (or a fault cut it)."""


@dataclass
class Budget:
    runtime: str  # "TFLM" or "LiteRT"
    arena_bytes: int | None  # RAM left for the tensor arena (TFLM only)
    flash_bytes: int | None  # flash left for the model (None: no limit stated)


def budget_from_td(doc: dict) -> tuple[str, str, Budget]:
    """The device's IRI, name and budget, read by the registry's own TD reader."""
    facts, _, _ = parse_td(doc)
    runtimes = {str(r.runtime): r for r in facts.runtimes}
    linux = facts.kind == TR.LinuxDevice or (str(TR.LiteRT) in runtimes
                                            and str(TR.TFLM) not in runtimes)
    if linux:
        return device_iri(facts.slug), facts.name, Budget("LiteRT", None, None)
    tflm = runtimes.get(str(TR.TFLM))
    arena = None
    if facts.ram is not None:
        arena = facts.ram - (facts.reserved_ram or 0) - ((tflm.ram_overhead or 0) if tflm else 0)
    flash = None
    if facts.flash is not None:
        flash = facts.flash - (facts.reserved_flash or 0) - ((tflm.code_bytes or 0) if tflm else 0)
    return device_iri(facts.slug), facts.name, Budget("TFLM", arena, flash)


@dataclass
class Device:
    td: dict  # as published: base and the agent's affordances filled in
    iri: str
    slug: str
    budget: Budget
    state: ModelState
    trust: Ed25519PublicKey
    faults: Faults = field(default_factory=Faults)
    transfers: int = 0  # deployments that reached the byte transfer, since the agent started

    @classmethod
    def from_td(cls, doc: dict, base_url: str | None, state_root: Path,
                trust: Ed25519PublicKey, faults: Faults | None = None) -> "Device":
        """`base_url`: where the agent serves HTTP; None for a device that only pulls, whose
        TD then offers no deploy action (so the registry queues its models instead)."""
        iri, _, budget = budget_from_td(doc)
        device_slug = slug(doc["id"])
        td = copy.deepcopy(doc)
        if base_url is not None:
            td["base"] = f"{base_url.rstrip('/')}/{device_slug}/"
            extra = affordances()
            td.setdefault("properties", {}).update(extra["properties"])
            td.setdefault("actions", {}).update(extra["actions"])
        return cls(td=td, iri=iri, slug=device_slug, budget=budget,
                   state=ModelState(Path(state_root) / device_slug), trust=trust,
                   faults=faults or Faults())

    # ---- reading
    def info(self) -> dict[str, Any]:
        state = self.state.read()
        return {"device": self.iri, "active": state.get("active"),
                "previous": state.get("previous"),
                "activations": len(self.state.activations()), "transfers": self.transfers}

    # ---- the deploy action
    def check_manifest(self, manifest_text: str | None, signature_text: str | None,
                       action: str) -> dict[str, Any]:
        if not manifest_text or not signature_text:
            raise Refusal(400, "Missing manifest", "the request carries no signed manifest "
                          "(Tinyreg-Manifest and Tinyreg-Signature)", retryable=False)
        try:
            fields = manifests.verify(self.trust, manifest_text, signature_text)
        except manifests.ManifestError as exc:
            if exc.signature:
                raise Refusal(403, "Bad signature", str(exc), retryable=False) from None
            raise Refusal(400, "Bad manifest", str(exc), retryable=False) from None
        if fields["device"] != self.iri:
            raise Refusal(409, "Wrong device", f"the manifest is for {fields['device']}, "
                          f"this device is {self.iri}", retryable=False)
        if fields["action"] != action:
            raise Refusal(400, "Bad manifest", f"a {fields['action']} manifest was sent to "
                          f"the {action} action", retryable=False)
        return fields

    def is_active(self, fields: dict[str, Any]) -> bool:
        active = self.state.read().get("active")
        return bool(active) and active["deployment"] == fields["deployment"]

    def receive(self, fields: dict[str, Any], length: int | None,
                read: Callable[[int], bytes]) -> dict[str, Any]:
        """Receive, check, test-load and activate the model a verified manifest announces.

        `read(n)` returns up to n bytes of the model ('' at the end). Raises Refusal, or
        Dropped when the bytes stop coming (nothing is activated then either).
        """
        self.transfers += 1
        if self.faults.delay_s:
            time.sleep(self.faults.delay_s)
        expected = fields["byteSize"]
        if length is not None and length != expected:
            raise Refusal(422, "Size mismatch", f"{length} bytes announced, the manifest "
                          f"says {expected}", retryable=True)
        flash = self.budget.flash_bytes
        if flash is not None and expected > flash:
            raise Refusal(409, "Does not fit", f"the model's {expected} bytes exceed the "
                          f"{flash} bytes of flash this device has free", retryable=False)
        with self.state.lock:
            if self.is_active(fields):
                return self.info()  # sent again after a lost answer: already done
            staged = self.state.stage()
            try:
                data = self._receive_bytes(staged, expected, read)
                digest = staged.finish()
                if staged.size != expected:
                    raise Refusal(422, "Size mismatch", f"received {staged.size} bytes, the "
                                  f"manifest says {expected}", retryable=True)
                if digest != fields["sha256"]:
                    raise Refusal(422, "Digest mismatch", f"the received bytes have SHA-256 "
                                  f"{digest}, the manifest says {fields['sha256']}", retryable=True)
                self._test_load(data, digest)
                self.state.activate(staged, self._entry(fields, digest))
            except BaseException:
                staged.discard()
                raise
        return self.info()

    def _receive_bytes(self, staged, expected: int, read: Callable[[int], bytes]) -> bytes:
        drop_at = expected // 2 if self.faults.take("drop") else None
        corrupt = self.faults.take("corrupt")
        parts = []
        while staged.size < expected:
            want = min(CHUNK, expected - staged.size)
            if drop_at is not None:
                want = min(want, max(drop_at - staged.size, 1))
            chunk = read(want)
            if not chunk:
                raise Dropped(f"the transfer ended after {staged.size} of {expected} bytes")
            if corrupt and not parts:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]  # as a bad link would
            parts.append(chunk)
            staged.write(chunk)
            if drop_at is not None and staged.size >= drop_at:
                raise Dropped(f"fault injection: dropped after {staged.size} of {expected} bytes")
        return b"".join(parts)

    def _test_load(self, data: bytes, digest: str) -> None:
        if self.faults.take("reject"):
            raise Refusal(422, "Model rejected", "fault injection: the device refuses this "
                          "model", retryable=False)
        verdict = test_load(data, digest, self.budget.runtime, self.budget.arena_bytes)
        if not verdict.runs:
            raise Refusal(422, "Model rejected", f"the model does not load on this device: "
                          f"{verdict.reason}", retryable=False)

    @staticmethod
    def _entry(fields: dict[str, Any], digest: str) -> dict[str, Any]:
        return {"deployment": fields["deployment"], "version": fields["version"],
                "model": fields["model"], "sha256": digest, "byteSize": fields["byteSize"],
                "activatedAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}

    # ---- the rollback action
    def rollback(self, fields: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            if self.is_active(fields):
                return self.info()
            kept = self.state.read().get("previous")
            if not kept or kept["sha256"] != fields["sha256"]:
                have = kept["sha256"] if kept else "nothing"
                raise Refusal(409, "Nothing to roll back to", f"the registry asks for "
                              f"{fields['sha256']}, this device keeps {have}", retryable=False)
            path = self.state.model_path(kept["sha256"])
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != kept["sha256"]:
                raise Refusal(409, "Nothing to roll back to", "the kept model is missing or "
                              "damaged on this device", retryable=False)
            self.state.rollback(self._entry(fields, kept["sha256"]))
        return self.info()

    def published_td(self) -> str:
        return json.dumps(self.td, indent=2)
