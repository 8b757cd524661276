"""Rollouts: one model version to many devices, in waves, with a failure threshold.

    plan()   → which devices the compatibility gate accepts, which it refuses and why,
               and how each accepted one is reached (nothing is written);
    start()  → the rollout and every deployment recorded (Pending, or Refused with the
               explanation) in one transaction, before anything is sent;
    run()    → the waves in order. Each wave's deployments are marked Sending, then sent
               in parallel, each retried with exponential backoff while the failure is one
               that sending again can cure. After a wave, if more of it failed than the
               rollout allows, the rollout pauses. `run()` also resumes: deployments
               recorded as Sending by a run that died are first checked with the device.
    cancel() → no further sends; open deployments become Cancelled.

The graph is the only state: any process can resume any rollout after any crash.
"""
from __future__ import annotations

import logging
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from tinyreg.registry import Registry
from tinyreg.registry.errors import Conflict, Invalid
from tinyreg.registry.vocab import local_name

from . import records, targets
from .gate import check_devices
from .jobs import (ArtifactProblem, Job, Signer, Version, load_artifact, read_version,
                   source_ids)
from .protocol import Form, find_forms
from .records import (ACTIVE, CANCELLED, COMPLETED, FAILED, OPEN, PAUSED, PENDING, REFUSED,
                      RUNNING, SENDING, Change, Deployment, NewDeployment, NewRollout)
from .targets import Outcome

log = logging.getLogger(__name__)

FLUSH_EVERY = 200  # results per write when a wave goes fast
FLUSH_SECONDS = 0.5  # and at least this often when it goes slowly


@dataclass(frozen=True)
class Options:
    waves: tuple[int, ...] = (1, 10, 100)
    max_failure_rate: float = 0.1
    max_attempts: int = 3
    backoff_s: float = 0.5
    parallel: int = 16
    timeout_s: float = 30.0  # one HTTP exchange with a device
    pull_timeout_s: float = 300.0  # how long a wave waits for pulling devices to report

    def __post_init__(self):
        if not self.waves or any(w < 1 for w in self.waves):
            raise Invalid("wave sizes must be whole numbers of at least 1")
        if not 0 <= self.max_failure_rate <= 1:
            raise Invalid("the failure threshold is a share between 0 and 1")
        if self.max_attempts < 1 or self.parallel < 1:
            raise Invalid("attempts and parallel sends must be at least 1")


def parse_waves(text: str) -> tuple[int, ...]:
    try:
        waves = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise Invalid(f"wave sizes {text!r}: expected whole numbers separated by commas") from None
    if not waves or any(w < 1 for w in waves):
        raise Invalid(f"wave sizes {text!r}: each wave holds at least one device")
    return waves


def wave_numbers(count: int, waves: tuple[int, ...]) -> list[int]:
    """The wave of each of `count` devices: waves[0] devices in wave 0, then waves[1] …,
    the last size repeating."""
    out, wave, left = [], 0, waves[0]
    for _ in range(count):
        if left == 0:
            wave += 1
            left = waves[min(wave, len(waves) - 1)]
        out.append(wave)
        left -= 1
    return out


# ---------------------------------------------------------------- planning

@dataclass
class Planned:
    device: str
    target: str | None  # None when refused
    forms: dict[str, Form]
    reason: str | None = None  # why it is refused


@dataclass
class Plan:
    version: Version
    devices: list[Planned]

    @property
    def accepted(self) -> list[Planned]:
        return [p for p in self.devices if p.target is not None]

    @property
    def refused(self) -> list[Planned]:
        return [p for p in self.devices if p.target is None]


def plan(registry: Registry, version_iri: str, devices: Iterable[str],
         transport: str = targets.AUTO, runs_only: bool = False) -> Plan:
    """Gate every device (on `fits`, or on `runs` with `runs_only`) and pick how to reach
    it; writes nothing."""
    devices = list(dict.fromkeys(devices))
    if not devices:
        raise Invalid("no devices selected")
    version = read_version(registry, version_iri)
    verdicts = check_devices(registry, version_iri, devices, runs_only)
    forms = find_forms(registry, devices)
    planned = []
    for device in devices:
        verdict = verdicts[device]
        if not verdict.fits:
            planned.append(Planned(device, None, forms[device], verdict.explanation))
            continue
        target = targets.choose(transport, forms[device])
        reason = None if target else f"the {transport} target cannot reach this device"
        planned.append(Planned(device, target, forms[device], reason))
    return Plan(version, planned)


def start(registry: Registry, the_plan: Plan, options: Options, selection: str) -> str:
    """Record the rollout and its deployments; returns the rollout's IRI."""
    token = records.new_token()
    iri = records.rollout_iri(token)
    waves = wave_numbers(len(the_plan.accepted), options.waves)
    deployments, accepted = [], iter(waves)
    for index, p in enumerate(the_plan.devices):
        deployments.append(NewDeployment(
            iri=records.new_deployment_iri(token, index), device=p.device,
            version=the_plan.version.iri, wave=next(accepted) if p.target else 0,
            transport=p.target or "none", status=PENDING if p.target else REFUSED,
            reason=p.reason))
    records.create(registry, NewRollout(iri, the_plan.version.iri, options.waves,
                                        options.max_failure_rate, options.max_attempts,
                                        selection, deployments=deployments))
    return iri


# ---------------------------------------------------------------- cancelling

def _cancel_flag(data_path: Path, rollout: str) -> Path:
    return Path(data_path) / "deploy" / f"cancel-{local_name(rollout)}"


def request_cancel(data_path: Path, rollout: str) -> None:
    """Ask a runner in another process (which holds the store) to stop before its next send."""
    flag = _cancel_flag(data_path, rollout)
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.touch()


def cancel(registry: Registry, rollout: str) -> int:
    """Cancel a rollout that no process is running; returns how many deployments it stopped."""
    state = records.read_rollout(registry, rollout).state
    if state in (COMPLETED, CANCELLED):
        raise Conflict(f"rollout {local_name(rollout)} is already {state.lower()}")
    return _stop(registry, rollout)


def _stop(registry: Registry, rollout: str) -> int:
    """Open deployments become Cancelled, then the rollout; the request flag is spent."""
    pending = [d for d in records.read_deployments(registry, rollout=rollout, names=False)
               if d.status in OPEN]
    records.set_status(registry, [Change(d.iri, CANCELLED, reason="rollout cancelled", ended=True)
                                  for d in pending])
    records.set_rollout_state(registry, rollout, CANCELLED, "cancelled by the operator")
    _cancel_flag(registry.data_path, rollout).unlink(missing_ok=True)
    return len(pending)


# ---------------------------------------------------------------- running

@dataclass
class Summary:
    rollout: str
    state: str
    reason: str | None
    counts: dict[str, int] = field(default_factory=dict)


class Runner:
    def __init__(self, registry: Registry, rollout: str, options: Options | None = None,
                 progress: Callable[[int], None] | None = None):
        self.registry = registry
        self.rollout = records.read_rollout(registry, rollout)
        stored = Options(waves=self.rollout.waves,
                         max_failure_rate=self.rollout.max_failure_rate,
                         max_attempts=self.rollout.max_attempts)
        # The recorded policy wins; `options` brings the per-run knobs (parallelism, timeouts).
        base = options or Options()
        self.options = Options(stored.waves, stored.max_failure_rate, stored.max_attempts,
                               base.backoff_s, base.parallel, base.timeout_s, base.pull_timeout_s)
        self.progress = progress or (lambda n: None)
        self._halt = threading.Event()
        self._results: queue.Queue = queue.Queue()
        self._versions: dict[str, Version] = {}
        self._artifacts: dict[str, bytes] = {}
        self._targets = {name: cls() for name, cls in targets.available().items()}
        self._signer: Signer | None = None
        self._ids: dict[str, str] = {}

    # ---- the whole rollout
    def run(self) -> Summary:
        r = self.rollout
        if r.state in (COMPLETED, CANCELLED):
            raise Conflict(f"rollout {r.token} is {r.state.lower()}; nothing to resume")
        self._signer = Signer(self.registry)
        if r.state != RUNNING:
            records.set_rollout_state(self.registry, r.iri, RUNNING)
        open_ = [d for d in records.read_deployments(self.registry, rollout=r.iri, names=False)
                 if d.status in OPEN]
        forms = find_forms(self.registry, {d.device for d in open_})
        self._ids = source_ids(self.registry, {d.device for d in open_})
        try:
            for wave in sorted({d.wave for d in open_}):
                if self._cancel_requested():
                    return self._cancel()
                self._run_wave([d for d in open_ if d.wave == wave], forms)
                if self._halt.is_set():
                    return self._cancel()
                counts = records.status_counts(self.registry, r.iri, wave)
                failed, sent = counts.get(FAILED, 0), counts.get(FAILED, 0) + counts.get(ACTIVE, 0)
                if sent and failed / sent > self.options.max_failure_rate:
                    return self._pause(
                        f"wave {wave}: {failed} of {sent} deployments failed, more "
                        f"than the {self.options.max_failure_rate:.0%} allowed")
        except ArtifactProblem as exc:
            return self._pause(f"nothing sent: {exc}")
        except KeyboardInterrupt:
            return self._pause("interrupted; resume with `tinyreg rollout resume`")
        records.set_rollout_state(self.registry, r.iri, COMPLETED)
        return self.summary()

    def summary(self) -> Summary:
        r = records.read_rollout(self.registry, self.rollout.iri)
        return Summary(r.iri, r.state, r.reason, records.status_counts(self.registry, r.iri))

    def _pause(self, reason: str) -> Summary:
        records.set_rollout_state(self.registry, self.rollout.iri, PAUSED, reason)
        return self.summary()

    def _cancel(self) -> Summary:
        _stop(self.registry, self.rollout.iri)
        return self.summary()

    def _cancel_requested(self) -> bool:
        if _cancel_flag(self.registry.data_path, self.rollout.iri).exists():
            return True
        return records.read_rollout(self.registry, self.rollout.iri).state == CANCELLED

    # ---- one wave
    def _version(self, iri: str) -> Version:
        if iri not in self._versions:
            self._versions[iri] = read_version(self.registry, iri)
        return self._versions[iri]

    def _artifact(self, version: Version) -> bytes:
        if version.sha256 not in self._artifacts:
            self._artifacts[version.sha256] = load_artifact(self.registry, version)
        return self._artifacts[version.sha256]

    def _job(self, d: Deployment, forms: dict[str, Form]) -> Job:
        version = self._version(d.version)
        device_id = self._ids[d.device]
        if d.rollback_of:  # the device keeps the bytes; only the signed order travels
            return Job(d, version, "rollback",
                       self._signer.sign(d, version, "rollback", device_id), None, forms)
        return Job(d, version, "deploy", self._signer.sign(d, version, "deploy", device_id),
                   self._artifact(version), forms)

    def _run_wave(self, batch: list[Deployment], forms: dict[str, dict[str, Form]]) -> None:
        jobs = [self._job(d, forms[d.device]) for d in batch]
        jobs = self._reconcile(jobs)
        if not jobs:
            return
        # Recorded before anything is sent: a crash from here on resumes by asking the device.
        records.set_status(self.registry, [Change(j.deployment.iri, SENDING,
                                                  attempts=j.deployment.attempts + 1)
                                           for j in jobs])
        pushed = [j for j in jobs if j.deployment.transport != "pull"]
        pulled = [j for j in jobs if j.deployment.transport == "pull"]
        if pushed:
            self._push(pushed)
        if pulled:
            self._await_pulls(pulled)

    def _reconcile(self, jobs: list[Job]) -> list[Job]:
        """Deployments a dead run left as Sending may have reached their device: ask it."""
        unsure = [j for j in jobs if j.deployment.status == SENDING
                  and j.deployment.transport != "pull"]
        if not unsure:
            return jobs
        def arrived(job: Job) -> bool:
            target = self._targets.get(job.deployment.transport)
            return target is not None and (
                target.active_deployment(job, self.options.timeout_s) == job.deployment.iri)

        with ThreadPoolExecutor(max_workers=min(self.options.parallel, len(unsure))) as pool:
            done = [job for job, ok in zip(unsure, pool.map(arrived, unsure)) if ok]
        records.activate(self.registry, [Change(j.deployment.iri, ACTIVE, ended=True)
                                         for j in done],
                         {j.deployment.iri: j.device for j in done})
        self.progress(len(done))
        finished = {j.deployment.iri for j in done}
        return [j for j in jobs if j.deployment.iri not in finished]

    def _push(self, jobs: list[Job]) -> None:
        with ThreadPoolExecutor(max_workers=min(self.options.parallel, len(jobs))) as pool:
            futures = [pool.submit(self._send, job) for job in jobs]
            try:
                self._collect(len(jobs))
            except BaseException:
                self._halt.set()  # queued sends do not start; running ones finish
                for future in futures:
                    future.cancel()
                pool.shutdown(wait=True)
                self._flush_all()
                raise
        self._flush_all()

    def _send(self, job: Job) -> None:
        attempts = job.deployment.attempts + 1
        try:
            outcome, attempts = self._attempts(job, attempts)
        except Exception as exc:  # a store error must not leave the wave waiting forever
            log.exception("sending %s failed", job.deployment.iri)
            outcome = Outcome(False, reason=f"the registry failed while sending: {exc}")
        self._results.put((job, outcome, attempts))

    def _attempts(self, job: Job, attempts: int) -> tuple[Outcome | None, int]:
        """Send until it works, fails for good, or the attempts run out; None if never sent."""
        target = self._targets.get(job.deployment.transport)
        if target is None:
            return Outcome(False, reason=f"no deploy target {job.deployment.transport!r} "
                                         "in this registry"), attempts
        outcome = None
        for k in range(self.options.max_attempts):
            if self._halt.is_set():
                break
            if k:  # the retry is recorded before it is made
                records.set_status(self.registry, [Change(job.deployment.iri, SENDING,
                                                          attempts=attempts, reason=outcome.reason)])
            outcome = target.deliver(job, self.options.timeout_s)
            if outcome.ok or not outcome.retryable or k + 1 == self.options.max_attempts:
                break
            attempts += 1
            delay = self.options.backoff_s * (2 ** k) * random.uniform(0.5, 1.0)
            if self._halt.wait(delay):
                attempts -= 1  # the retry was never made
                break
        return outcome, attempts

    def _collect(self, expected: int) -> None:
        received, batch, last = 0, [], time.monotonic()
        while received < expected:
            try:
                batch.append(self._results.get(timeout=FLUSH_SECONDS))
                received += 1
            except queue.Empty:
                pass
            if len(batch) >= FLUSH_EVERY or (batch and time.monotonic() - last >= FLUSH_SECONDS):
                self._record(batch)
                batch, last = [], time.monotonic()
                if self._cancel_requested():
                    self._halt.set()
        self._record(batch)

    def _flush_all(self) -> None:
        batch = []
        while True:
            try:
                batch.append(self._results.get_nowait())
            except queue.Empty:
                break
        self._record(batch)

    def _record(self, batch: list[tuple[Job, Outcome, int]]) -> None:
        if not batch:
            return
        ok = [(j, a) for j, o, a in batch if o is not None and o.ok]
        records.activate(self.registry, [Change(j.deployment.iri, ACTIVE, attempts=a, ended=True)
                                         for j, a in ok],
                         {j.deployment.iri: j.device for j, _ in ok})
        # An outcome of None was never sent (the run was halted): it stays open.
        failed = [Change(job.deployment.iri, FAILED, attempts=attempts, reason=outcome.reason,
                         ended=True)
                  for job, outcome, attempts in batch if outcome is not None and not outcome.ok]
        records.set_status(self.registry, failed)
        self.progress(len(batch))

    def _await_pulls(self, jobs: list[Job]) -> None:
        """Wait until every pulling device of the wave has reported, or the wave times out."""
        waiting = {j.deployment.iri for j in jobs}
        deadline = time.monotonic() + self.options.pull_timeout_s
        while waiting and time.monotonic() < deadline:
            if self._cancel_requested():
                self._halt.set()
                return
            time.sleep(0.2)
            now_open = {d.iri for d in records.read_deployments(
                self.registry, rollout=self.rollout.iri, names=False)
                if d.iri in waiting and d.status in OPEN}
            self.progress(len(waiting) - len(now_open))
            waiting = now_open
        records.set_status(self.registry, [
            Change(iri, FAILED, reason=f"the device did not report within "
                                       f"{self.options.pull_timeout_s:g} s", ended=True)
            for iri in waiting])
        self.progress(len(waiting))


def run(registry: Registry, rollout: str, options: Options | None = None,
        progress: Callable[[int], None] | None = None) -> Summary:
    return Runner(registry, rollout, options, progress).run()
