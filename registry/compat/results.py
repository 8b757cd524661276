"""What the compatibility questions answer: results, verdicts, matches, the matrix.

A `Result` is one SHACL validation result as the registry passes it on: its severity, the
shape that produced it, the message, the path and the value. Both checkers (pySHACL and
the fleet engine) produce them, so their answers compare field by field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SH = "http://www.w3.org/ns/shacl#"
VIOLATION, WARNING, INFO = f"{SH}Violation", f"{SH}Warning", f"{SH}Info"
SEVERITY_NAMES = {VIOLATION: "violation", WARNING: "warning", INFO: "info"}


@dataclass(frozen=True)
class Result:
    severity: str  # sh:Violation, sh:Warning or sh:Info (full IRIs)
    constraint: str  # the shape's IRI
    message: str
    path: str | None = None
    value: Any = None
    figures: dict = field(default_factory=dict, compare=False, hash=False)
    focus: str | None = None  # the node the result is about, when it is not the pair itself

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
        return out


def sort_results(results) -> list[Result]:
    order = {VIOLATION: 0, WARNING: 1, INFO: 2}
    return sorted(results, key=lambda r: (order.get(r.severity, 3), r.constraint, r.message))


class BySeverity:
    """Splits a `results` list into what refuses (violations) and what is kept (the rest)."""
    results: list[Result]

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == VIOLATION]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity != VIOLATION]


@dataclass
class Verdict(BySeverity):
    model: str
    device: str
    fits: bool
    results: list[Result]
    latency: dict | None = None  # the fastest estimate in ms with its band (latency_fit.Timing)

    def as_dict(self) -> dict:
        out = {"model": self.model, "device": self.device, "fits": self.fits,
               "results": [r.as_dict() for r in self.results]}
        if self.latency is not None:
            out["latency_ms"] = self.latency
        return out


@dataclass
class Match:
    """One answer to "which devices for this model" (or models for this device)."""
    iri: str
    name: str | None
    fits: bool
    warned: bool  # fits, with results of a lower severity (e.g. float32 without an FPU)
    results: list[Result] = field(default_factory=list)  # filled when explanations are asked for
    latency: dict | None = None  # the fastest estimate in ms with its band, where there is one

    def as_dict(self) -> dict:
        out = {"iri": self.iri, "name": self.name, "fits": self.fits, "warned": self.warned}
        if self.latency is not None:
            out["latency_ms"] = self.latency
        if self.results:
            out["results"] = [r.as_dict() for r in self.results]
        return out


@dataclass
class Matrix:
    """Which model versions fit which devices, one bit per pair.

    `fits` and `warned` hold rows of packed bits (numpy.packbits along each row): a fleet of
    1,000 models and 100,000 devices takes 12.5 MB per matrix rather than 100 MB of bools.
    """
    models: list[str]
    devices: list[str]
    fits: np.ndarray
    warned: np.ndarray

    def row(self, model_index: int) -> np.ndarray:
        """The bools of one model's row."""
        return np.unpackbits(self.fits[model_index], count=len(self.devices)).astype(bool)

    def warned_row(self, model_index: int) -> np.ndarray:
        return np.unpackbits(self.warned[model_index], count=len(self.devices)).astype(bool)

    def counts(self) -> np.ndarray:
        """How many devices each model fits."""
        return np.unpackbits(self.fits, axis=1, count=len(self.devices)).sum(axis=1)

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

    def as_dict(self) -> dict:
        out = {"iri": self.iri, "name": self.name, "value": self.value, "dataset": self.dataset,
               "fits": self.fits}
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
