"""One simulated device: what its Thing Description declares, and the checks it makes
before it activates a model.

In order, for a deployment: the manifest's signature (the registry's key), that the
manifest names this device (the registry's IRI for it and its own TD id), that its
sequence is above the last one the device accepted, the announced size against the
manifest and the flash the device has free, then — while the bytes arrive, into a staging
file, with no lock held — their size and SHA-256, then a test load on the device's runtime
within the arena the compatibility shapes leave it (registry/compat/budget.py). Only then
is the device's lock taken, the sequence checked again (another order may have been
accepted meanwhile) and the model swapped in. Any failed check leaves the active model as
it was and answers with a `Refusal` that says whether sending again could help.

Each device has its own Ed25519 key (in its state directory, made on first start); the
public half goes into the TD the agent publishes, which is how it is enrolled, and the
private half signs the device's pull requests.
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

from tinyreg.registry.compat.budget import budgets_of
from tinyreg.registry.devices.contexts import TINYREG_TD
from tinyreg.registry.devices.facts import DeviceFacts, to_record
from tinyreg.registry.devices.td import parse_td
from tinyreg.registry.errors import problem_document
from tinyreg.registry.keys import ensure_key, public_key_text
from tinyreg.registry.vocab import TR, local_name

from .. import manifest as manifests
from ..device_requests import RequestSigner
from ..protocol import affordances
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
        slug = "device/" + self.title.lower().replace(" ", "-")
        return problem_document(self.status, self.title, self.detail, slug,
                                retryable=self.retryable)


class Dropped(Exception):
    """The transfer ended before all announced bytes arrived (or a fault cut it)."""


@dataclass
class Budget:
    runtime: str  # "TFLM" or "LiteRT"
    arena_bytes: int | None  # RAM left for the tensor arena (TFLM only)
    flash_bytes: int | None  # flash left for the model (None: no limit stated)


def budget_of(facts: DeviceFacts, free: dict[str, int | None]) -> Budget:
    """The runtime a device test-loads on, and the bytes the shapes leave it (`free`, from
    `registry.compat.budget`); a Linux-class device loads from storage, with no arena."""
    runtimes = {str(r.runtime) for r in facts.runtimes}
    if facts.kind == TR.LinuxDevice or (str(TR.LiteRT) in runtimes and str(TR.TFLM) not in runtimes):
        return Budget("LiteRT", None, None)
    return Budget("TFLM", free.get(str(TR.usableRamBytes)), free.get(str(TR.usableFlashBytes)))


@dataclass
class Device:
    td: dict  # as published: base, the agent's affordances and the public key filled in
    iri: str  # the registry's IRI for it
    source_id: str  # its own, the TD's `id`
    slug: str  # the IRI's last segment: its path on the agent and at the pull endpoints
    budget: Budget
    state: ModelState
    trust: Ed25519PublicKey
    signer: RequestSigner
    faults: Faults = field(default_factory=Faults)
    transfers: int = 0  # deployments that reached the byte transfer, since the agent started

    @classmethod
    def from_tds(cls, docs: list[dict], base_url: str | None, state_root: Path,
                 trust: Ed25519PublicKey, faults: Faults | None = None) -> list["Device"]:
        """`base_url`: where the agent serves HTTP; None for devices that only pull, whose
        TDs then offer no deploy action (so the registry queues their models instead)."""
        read = []
        for doc in docs:
            facts, triples, warnings = parse_td(doc)
            read.append((doc, facts, to_record(facts, triples, warnings)))
        free = budgets_of(record for _, _, record in read)
        return [cls._made(doc, facts, record.iri, free[record.iri], base_url, Path(state_root),
                          trust, (faults or Faults()).copy())
                for doc, facts, record in read]

    @classmethod
    def from_td(cls, doc: dict, base_url: str | None, state_root: Path,
                trust: Ed25519PublicKey, faults: Faults | None = None) -> "Device":
        return cls.from_tds([doc], base_url, state_root, trust, faults)[0]

    @classmethod
    def _made(cls, doc: dict, facts: DeviceFacts, iri: str, free: dict[str, int | None],
              base_url: str | None, state_root: Path, trust: Ed25519PublicKey,
              faults: Faults) -> "Device":
        device_slug = local_name(iri)
        state = ModelState(state_root / device_slug)
        key = ensure_key(state.dir)
        public = public_key_text(key)
        if doc.get("publicKey") not in (None, public):
            raise ValueError(f"{doc['id']}: the Thing Description enrols the key "
                             f"{doc['publicKey']}, but the device's key in {state.dir} is "
                             f"{public}; remove publicKey from the TD or restore that key")
        td = copy.deepcopy(doc)
        td["publicKey"] = public
        contexts = td["@context"] if isinstance(td.get("@context"), list) else [td.get("@context")]
        if TINYREG_TD not in contexts:
            td["@context"] = [c for c in contexts if c is not None] + [TINYREG_TD]
        if base_url is not None:
            td["base"] = f"{base_url.rstrip('/')}/{device_slug}/"
            extra = affordances()
            td.setdefault("properties", {}).update(extra["properties"])
            td.setdefault("actions", {}).update(extra["actions"])
        return cls(td=td, iri=iri, source_id=doc["id"], slug=device_slug,
                   budget=budget_of(facts, free), state=state, trust=trust,
                   signer=RequestSigner(iri, key), faults=faults)

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
        if fields["device"] != self.iri or fields["deviceId"] != self.source_id:
            raise Refusal(409, "Wrong device", f"the manifest is for {fields['device']} "
                          f"({fields['deviceId']}), this device is {self.iri} "
                          f"({self.source_id})", retryable=False)
        if fields["action"] != action:
            raise Refusal(400, "Bad manifest", f"a {fields['action']} manifest was sent to "
                          f"the {action} action", retryable=False)
        if not self.is_active(fields):
            self._check_newer(fields)
        return fields

    def _check_newer(self, fields: dict[str, Any]) -> None:
        """No order older than the last one accepted: a replayed or delayed manifest, for a
        model or a rollback, never takes effect again."""
        last = self.state.sequence()
        if fields["sequence"] <= last:
            raise Refusal(409, "Stale manifest", f"manifest {fields['sequence']} is not newer "
                          f"than manifest {last}, the last this device accepted",
                          retryable=False)

    def is_active(self, fields: dict[str, Any]) -> bool:
        active = self.state.read().get("active")
        return bool(active) and active["deployment"] == fields["deployment"]

    def receive(self, fields: dict[str, Any], length: int | None,
                read: Callable[[int], bytes]) -> dict[str, Any]:
        """Receive, check, test-load and activate the model a verified manifest announces.

        `read(n)` returns up to n bytes of the model ('' at the end). Raises Refusal, or
        Dropped when the bytes stop coming (nothing is activated then either). The device's
        lock is held only for the swap: a transfer that stalls holds up no other order.
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
            with self.state.lock:
                if self.is_active(fields):  # the same order, sent twice at once
                    staged.discard()
                    return self.info()
                self._check_newer(fields)
                self.state.activate(staged, self._entry(fields, digest), fields["sequence"])
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
            self._check_newer(fields)
            kept = self.state.read().get("previous")
            if not kept or kept["sha256"] != fields["sha256"]:
                have = kept["sha256"] if kept else "nothing"
                raise Refusal(409, "Nothing to roll back to", f"the registry asks for "
                              f"{fields['sha256']}, this device keeps {have}", retryable=False)
            path = self.state.model_path(kept["sha256"])
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != kept["sha256"]:
                raise Refusal(409, "Nothing to roll back to", "the kept model is missing or "
                              "damaged on this device", retryable=False)
            self.state.rollback(self._entry(fields, kept["sha256"]), fields["sequence"])
        return self.info()

    def published_td(self) -> str:
        return json.dumps(self.td, indent=2)
