"""The compatibility gate: a model version goes only to devices the shapes accept.

The verdicts come from the registry's compatibility engine (registry/compat); deploy/ only
asks and turns the SHACL results into one sentence for the deployment's record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from tinyreg.registry import Registry, compat
from tinyreg.registry.compat import Result


@dataclass(frozen=True)
class GateVerdict:
    fits: bool
    explanation: str | None  # why not, in words; None when it fits


# Past this many devices one fleet engine (columns of the whole store) beats one small
# engine per pair; `compat.check` uses the fleet engine once it is built.
FLEET_FROM = 8


def check_devices(registry: Registry, version: str, devices: Iterable[str]) -> dict[str,
                  GateVerdict]:
    devices = list(devices)
    if len(devices) >= FLEET_FROM:
        compat.fleet_engine(registry)
    verdicts = {}
    for device in devices:
        verdict = compat.check(registry, version, device)
        verdicts[device] = GateVerdict(
            bool(verdict.fits), None if verdict.fits else explain(verdict.violations))
    return verdicts


def explain(results: Iterable[Result]) -> str:
    messages = list(dict.fromkeys(r.message for r in results))
    return "; ".join(messages) or "the compatibility shapes refuse this device"
