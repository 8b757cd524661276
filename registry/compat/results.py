"""What the compatibility questions answer: results, verdicts, matches, the matrix.

A `Result` is one SHACL validation result as the registry passes it on: its severity, the
shape that produced it, the message, the path and the value. Both checkers (pySHACL and
the fleet engine) produce them, so their answers compare field by field.

A verdict has two answers, each True (yes), False (no) or None (unknown): `runs` (memory,
runtime, operators, number format, accelerator) and `fits` (it runs, and the sensors its
input needs are there). shapes/patterns.ttl defines how the shapes' groups make them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..vocab import SHAPES_IRI, local_name

SH = "http://www.w3.org/ns/shacl#"
VIOLATION, WARNING, INFO = f"{SH}Violation", f"{SH}Warning", f"{SH}Info"
# A result saying the verdict depends on a fact nobody states (shapes/patterns.ttl).
UNKNOWN = f"{SHAPES_IRI}#Unknown"
SEVERITY_NAMES = {VIOLATION: "violation", UNKNOWN: "unknown", WARNING: "warning", INFO: "info"}
_ORDER = {VIOLATION: 0, UNKNOWN: 1, WARNING: 2, INFO: 3}
# The groups of shapes/patterns.ttl; HEADROOM results state figures and decide nothing.
_GROUPS = f"{SHAPES_IRI}#"
RUNS, SENSORS, BUDGET, HEADROOM = (f"{_GROUPS}{name}" for name in (
    "RunsGroup", "SensorGroup", "BudgetGroup", "HeadroomGroup"))
# The groups that decide "fits" but not "runs": what a model needs around it.
FITS_ONLY = (SENSORS, BUDGET)


@dataclass(frozen=True)
class Result:
    severity: str  # sh:Violation, sh:Warning or sh:Info (full IRIs)
    constraint: str  # the shape's IRI
    message: str
    path: str | None = None
    value: Any = None
    figures: dict = field(default_factory=dict, compare=False, hash=False)
    focus: str | None = None  # the node the result is about, when it is not the pair itself
    group: str | None = field(default=None, compare=False, hash=False)  # RUNS, SENSORS, HEADROOM

    @property
    def level(self) -> str:
        return SEVERITY_NAMES.get(self.severity, self.severity)

    def as_dict(self) -> dict:
        out = {"severity": self.level, "constraint": self.constraint, "message": self.message}
        if self.path is not None:
            out["path"] = self.path
        if self.value is not None:
            out["value"] = self.value
        if self.figures:
            out["figures"] = self.figures
        if self.focus is not None:
            out["focus"] = self.focus
        if self.group is not None:
            out["group"] = local_name(self.group)
        return out


def sort_results(results) -> list[Result]:
    return sorted(results, key=lambda r: (_ORDER.get(r.severity, 4), r.constraint, r.message))


class BySeverity:
    """Splits a `results` list into what refuses (violations), what leaves the answer open
    (unknowns), what is kept with a verdict (warnings and notes) and the figures (headroom)."""
    results: list[Result]

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == VIOLATION]

    @property
    def unknowns(self) -> list[Result]:
        return [r for r in self.results if r.severity == UNKNOWN]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results
                if r.severity not in (VIOLATION, UNKNOWN) and r.group != HEADROOM]


def answers(results: list[Result]) -> tuple[bool | None, bool | None]:
    """(runs, fits) from a pair's results, their groups set: no on a violation, else
    unknown on an unknown, else yes; fits also asks the sensor group."""
    def answer(groups) -> bool | None:
        mine = [r.severity for r in results if r.group in groups]
        return False if VIOLATION in mine else None if UNKNOWN in mine else True
    return answer((RUNS,)), answer((RUNS, *FITS_ONLY))


def answer_text(answer: bool | None) -> str:
    return "unknown" if answer is None else "yes" if answer else "no"


def headroom(results: list[Result]) -> dict[str, dict]:
    """Per resource (RAM, flash): what is needed, itemised, what is available, and the
    difference (negative: short), from the headroom results (the fleet engine's)."""
    out = {}
    for r in results:
        if r.group == HEADROOM and r.figures.get("resource"):
            out[r.figures["resource"]] = {k: v for k, v in r.figures.items() if k != "resource"}
    return out


@dataclass
class Verdict(BySeverity):
    model: str
    device: str
    runs: bool | None
    fits: bool | None
    results: list[Result]
    latency: dict | None = None  # the fastest estimate in ms with its band (latency_fit.Timing)

    @property
    def headroom(self) -> dict[str, dict]:
        return headroom(self.results)

    def as_dict(self) -> dict:
        out = {"model": self.model, "device": self.device, "runs": self.runs, "fits": self.fits,
               "unknown": [r.message for r in self.unknowns], "headroom": self.headroom,
               "results": [r.as_dict() for r in self.results]}
        if self.latency is not None:
            out["latency_ms"] = self.latency
        return out


@dataclass
class Match:
    """One answer to "which devices for this model" (or models for this device): `runs` and
    `fits` each True, False or None (unknown), as in a Verdict."""
    iri: str
    name: str | None
    fits: bool | None
    warned: bool  # fits, with results of a lower severity (e.g. float32 without an FPU)
    results: list[Result] = field(default_factory=list)  # filled when explanations are asked for
    latency: dict | None = None  # the fastest estimate in ms with its band, where there is one
    runs: bool | None = None

    @property
    def unknowns(self) -> list[Result]:
        return [r for r in self.results if r.severity == UNKNOWN]

    def as_dict(self) -> dict:
        out = {"iri": self.iri, "name": self.name, "runs": self.runs, "fits": self.fits,
               "warned": self.warned}
        if self.latency is not None:
            out["latency_ms"] = self.latency
        if self.results:
            out["headroom"] = headroom(self.results)
            out["results"] = [r.as_dict() for r in self.results]
        return out


@dataclass
class Matrix:
    """Which model versions run on and fit which devices, one bit per pair and answer.

    Each array holds rows of packed bits (numpy.packbits along each row): a fleet of 1,000
    models and 100,000 devices takes 12.5 MB per array rather than 100 MB of bools. `fits`
    and `runs` mark the pairs answered yes, `fits_unknown` and `runs_unknown` those left
    unknown (the rest are no); `warned` the fitting pairs with a warning or a note.
    """
    models: list[str]
    devices: list[str]
    fits: np.ndarray
    warned: np.ndarray
    runs: np.ndarray | None = None
    fits_unknown: np.ndarray | None = None
    runs_unknown: np.ndarray | None = None

    def _row(self, bits: np.ndarray, model_index: int) -> np.ndarray:
        return np.unpackbits(bits[model_index], count=len(self.devices)).astype(bool)

    def row(self, model_index: int) -> np.ndarray:
        """The bools of one model's row: fits, yes."""
        return self._row(self.fits, model_index)

    def warned_row(self, model_index: int) -> np.ndarray:
        return self._row(self.warned, model_index)

    def runs_row(self, model_index: int) -> np.ndarray:
        return self._row(self.runs, model_index)

    def unknown_row(self, model_index: int, answer: str = "fits") -> np.ndarray:
        return self._row(self.fits_unknown if answer == "fits" else self.runs_unknown, model_index)

    def counts(self, answer: str = "fits") -> np.ndarray:
        """How many devices each model fits (or runs on: answer="runs")."""
        bits = self.fits if answer == "fits" else self.runs
        return np.unpackbits(bits, axis=1, count=len(self.devices)).sum(axis=1)

    def answer_rows(self, answer: str = "fits") -> list[list[bool | None]]:
        """One answer (fits or runs) as rows of True, False and None (unknown)."""
        out = []
        for i in range(len(self.models)):
            yes = (self.row(i) if answer == "fits" else self.runs_row(i)).tolist()
            unknown = self.unknown_row(i, answer).tolist()
            out.append([None if u else y for y, u in zip(yes, unknown)])
        return out

    def fits_pair(self, model_index: int, device_index: int) -> bool:
        byte = self.fits[model_index, device_index >> 3]
        return bool((byte >> (7 - (device_index & 7))) & 1)


@dataclass
class WhatIf:
    """The pairs a change would win or lose, against today's verdicts."""
    gained: list[Match]
    lost: list[Match]


@dataclass
class Ranked:
    """A model version that fits a device, with its value of the metric asked for."""
    iri: str
    name: str | None
    value: float
    dataset: str | None
    fits: bool
    results: list[Result] = field(default_factory=list)
    latency: dict | None = None  # the fastest estimate in ms with its band, where there is one
    runs: bool | None = None

    def as_dict(self) -> dict:
        out = {"iri": self.iri, "name": self.name, "value": self.value, "dataset": self.dataset,
               "runs": self.runs, "fits": self.fits}
        if self.latency is not None:
            out["latency_ms"] = self.latency
        if self.results:
            out["results"] = [r.as_dict() for r in self.results]
        return out


def grouped(number) -> str:
    """A figure with a comma every three digits, as the shapes' trs:grouped writes it."""
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    return f"{number:,}"


_PLACEHOLDER = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, variables: dict[str, Any]) -> str:
    """Fill a sh:message template the way a SHACL-SPARQL validator does.

    {?name} and {$name} take the variable's text; a placeholder with no such variable stays
    as written, as it does in pySHACL's report.
    """
    def text(match: re.Match) -> str:
        name = match.group(1)
        return str(variables[name]) if name in variables else match.group(0)
    return _PLACEHOLDER.sub(text, template)
