"""The compatibility gate: a model version goes only to devices the shapes accept: those it
fits, or with --runs-only those it runs on (its input then comes another way than the
sensors it names, e.g. over a serial link).

The verdicts come from the registry's compatibility engine (registry/compat); deploy/ only
asks and turns the SHACL results into one sentence for the deployment's record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from tinyreg.registry import Registry, compat
from tinyreg.registry.compat import Result
from tinyreg.registry.compat.results import FITS_ONLY, UNKNOWN, VIOLATION


@dataclass(frozen=True)
class GateVerdict:
    fits: bool  # the answer asked for is yes: fits, or runs when sensors are left aside
    explanation: str | None  # why not, in words; None when it is accepted


# Past this many devices one fleet engine (columns of the whole store) beats one small
# engine per pair; `compat.check` uses the fleet engine once it is built.
FLEET_FROM = 8


def check_devices(registry: Registry, version: str, devices: Iterable[str],
                  runs_only: bool = False) -> dict[str, GateVerdict]:
    """The gate's answer per device: accepted when the model version fits it (or, with
    `runs_only`, runs on it whatever sensors it has); an unknown answer is not accepted,
    and says what is missing."""
    devices = list(devices)
    if len(devices) >= FLEET_FROM:
        compat.fleet_engine(registry)
    verdicts = {}
    for device in devices:
        verdict = compat.check(registry, version, device)
        answer = verdict.runs if runs_only else verdict.fits
        if answer:
            verdicts[device] = GateVerdict(True, None)
            continue
        asked = [r for r in verdict.results if not runs_only or r.group not in FITS_ONLY]
        if answer is None:  # each unknown's message begins "unknown: <what is missing>"
            unknown = [r for r in asked if r.severity == UNKNOWN]
            verdicts[device] = GateVerdict(False, explain(unknown) if unknown else
                                           "unknown: a fact the verdict needs is not stated")
        else:
            verdicts[device] = GateVerdict(False, explain(r for r in asked if r.severity == VIOLATION))
    return verdicts


def explain(results: Iterable[Result]) -> str:
    messages = list(dict.fromkeys(r.message for r in results))
    return "; ".join(messages) or "the compatibility shapes refuse this device"
