"""`registry.compat`: the compatibility questions as people ask them, by the names they type.

Each method resolves its references (references.py), asks registry/compat (the fleet
engine, or pySHACL for one pair) and answers a typed value: a verdict, a counted page of
matches, a fit overview, a slice of the matrix, the changes a what-if would bring. The API,
the dashboard and the CLI each render these; none of them works an answer out again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .. import compat
from ..compat.questions import Judged
from ..compat.results import HEADROOM, Match, Ranked, Verdict
from ..errors import Invalid
from ..listing import version_ref
from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Counted, Page, whole_number
from ..references import resolve_device, resolve_devices, resolve_model, resolve_models
from ..vocab import local_name

if TYPE_CHECKING:
    from ..core import Registry

# A slice of the matrix larger than this is refused: it is a download, not a page.
MAX_MATRIX_CELLS = 200_000
# A change of a petabyte is not a question anyone means; the bound keeps the sums exact.
MAX_DELTA = 2**50
SORTS = ("fit", "latency")


@dataclass(frozen=True)
class MatchFilter:
    """How a match question is asked: with `explain`, the entities whose answer is unknown
    and then those refused follow the fitting ones, each with why; `max_latency_ms` keeps
    the pairs estimated within it (an unknown estimate is not); `sort` "latency" lists the
    fastest first within each group, "fit" as the engine lists them; `runs_only` asks
    "runs" (sensors aside) instead of "fits"."""
    explain: bool = False
    max_latency_ms: float | None = None
    sort: str = "fit"
    runs_only: bool = False

    def __post_init__(self) -> None:
        if self.max_latency_ms is not None and not 0 <= self.max_latency_ms < math.inf:
            raise Invalid(f"`max_latency_ms` must be 0 or more, got {self.max_latency_ms!r}")
        if self.sort not in SORTS:
            raise Invalid(f"`sort` is fit or latency, got {str(self.sort)[:40]!r}")

    @property
    def by_latency(self) -> bool:
        return self.sort == "latency"

    def said(self) -> dict[str, Any]:
        """What an answer says back about how it was asked (the counts stay the fleet's)."""
        return {} if self.max_latency_ms is None else {"max_latency_ms": self.max_latency_ms}


def match_rows(matches: list[Match], ident: Callable[[str], str]) -> list[dict[str, Any]]:
    """Matches as rows with an `id` people type back and a one-line reason: what rules the
    pair out, leaves it open, or warns about (the headroom figures are in the row apart)."""
    rows = []
    for m in matches:
        row = m.as_dict()
        row["id"] = ident(m.iri)
        row["reason"] = "; ".join(r.message for r in m.results if r.group != HEADROOM)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Fit:
    """What a model's or a device's page shows: the first fitting entities and the first
    others (unknown, then refused), each explained, and how many fit, are unknown, and are
    there at all."""
    subject: dict[str, str]
    fitting: int
    unknown: int
    total: int
    fits: list[dict[str, Any]]
    misfits: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {**self.subject, "fitting": self.fitting, "unknown": self.unknown,
                "total": self.total, "fits": self.fits, "misfits": self.misfits}


@dataclass(frozen=True)
class MatrixSlice:
    """Whether some model versions run on and fit a window of devices (True, False, None
    for unknown), with the fastest latency estimate of each pair in ms (None where there is
    none); `reasons`, when asked, what rules out each pair that does not fit."""
    models: list[str]
    model_names: list[str]
    devices: list[str]
    total_devices: int
    page: Page
    runs: list[list[bool | None]]
    fits: list[list[bool | None]]
    warned: list[list[bool]]
    latency_ms: list[list[float | None]]
    reasons: Any = None

    def as_dict(self) -> dict[str, Any]:
        out = {"models": self.models, "model_names": self.model_names, "devices": self.devices,
               "total_devices": self.total_devices, "offset": self.page.offset,
               "limit": self.page.limit, "runs": self.runs, "fits": self.fits,
               "warned": self.warned, "latency_ms": self.latency_ms}
        if self.reasons is not None:
            out["reasons"] = self.reasons
        return out


@dataclass(frozen=True)
class Changes:
    """What a what-if would win and lose; the lists are whole, `limit` is how many of each
    a page shows."""
    subject: dict[str, str]
    gained: list[Match]
    lost: list[Match]
    ident: Callable[[str], str] = field(compare=False)
    limit: int = DEFAULT_LIMIT

    def as_dict(self) -> dict[str, Any]:
        return {**self.subject, "gained_count": len(self.gained), "lost_count": len(self.lost),
                "limit": self.limit, "gained": match_rows(self.gained[:self.limit], self.ident),
                "lost": match_rows(self.lost[:self.limit], self.ident)}


class Compat:
    """The compatibility questions (`registry.compat`)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def check(self, model: str, device: str, *, shacl: bool = False) -> Verdict:
        """Does `model` fit `device`, and why (not)? `shacl`: ask pySHACL itself."""
        version, board = resolve_model(self.registry, model), resolve_device(self.registry, device)
        return (compat.check_shacl if shacl else compat.check)(self.registry, version, board)

    def judge(self, *, model: str | None = None, device: str | None = None,
              where: MatchFilter = MatchFilter()) -> Judged:
        """The model version against every device, or every model version against the
        device, judged once: its counts, and its matches a page at a time (`matches`)."""
        if (model is None) == (device is None):
            raise Invalid("a match question takes a model version or a device, not both or neither")
        if model is not None:
            return compat.judge_model(self.registry, resolve_model(self.registry, model),
                                      where.max_latency_ms, where.by_latency, where.runs_only)
        return compat.judge_device(self.registry, resolve_device(self.registry, device),
                                   where.max_latency_ms, where.by_latency, where.runs_only)

    def devices_for(self, model: str, where: MatchFilter = MatchFilter(),
                    page: Page = Page()) -> Counted[dict]:
        """A page of the devices the model version fits; with `explain`, the others after
        them, with why. `fitting` counts the whole fleet."""
        judged = self.judge(model=model, where=where)
        return _counted(judged, where, page, {"model": judged.subject}, local_name)

    def models_for(self, device: str, where: MatchFilter = MatchFilter(),
                   page: Page = Page()) -> Counted[dict]:
        """A page of the model versions that fit the device; with `explain`, the others."""
        judged = self.judge(device=device, where=where)
        return _counted(judged, where, page, {"device": judged.subject}, version_ref)

    def fit_of_model(self, model: str, shown: int) -> Fit:
        """The devices a model version's page lists, judged once."""
        judged = self.judge(model=model)
        return _fit(judged, shown, {"model": judged.subject}, local_name)

    def fit_of_device(self, device: str, shown: int) -> Fit:
        """The model versions a device's page lists, judged once."""
        judged = self.judge(device=device)
        return _fit(judged, shown, {"device": judged.subject}, version_ref)

    def matrix_slice(self, models: list[str] | None = None, devices: list[str] | None = None,
                     page: Page = Page(limit=100), reasons: bool = False) -> MatrixSlice:
        """The named (or all) model versions on the named devices, or on a page of all
        devices; refused when it has more than MAX_MATRIX_CELLS cells. `reasons`: what
        rules out each pair that does not fit (for the heatmap's tooltips)."""
        registry = self.registry
        full = compat.matrix(registry, resolve_models(registry, models) if models else None,
                             resolve_devices(registry, devices) if devices else None)
        window = slice(page.offset, min(page.end, len(full.devices)))
        width = max(0, window.stop - window.start)
        if len(full.models) * width > MAX_MATRIX_CELLS:
            raise Invalid(f"the slice has more than {MAX_MATRIX_CELLS:,} cells; "
                          "list fewer models or ask for fewer devices (limit)")
        latency = compat.latency_matrix(registry, full.models, full.devices[window])
        shown, fits = full.devices[window], [row[window] for row in full.answer_rows("fits")]
        return MatrixSlice(
            full.models, compat.version_names(registry, full.models), shown, len(full.devices),
            page, [row[window] for row in full.answer_rows("runs")], fits,
            [full.warned_row(i)[window].tolist() for i in range(len(full.models))],
            [[None if math.isnan(x) else round(float(x), 3) for x in row] for row in latency],
            compat.misfit_reasons(registry, full.models, shown, fits) if reasons else None)

    def what_if(self, *, model: str | None = None, device: str | None = None,
                arena_delta: int = 0, flash_delta: int = 0, ram_delta: int = 0,
                explain: bool = False, limit: int = DEFAULT_LIMIT) -> Changes:
        """The devices a model version would win or lose if it needed `arena_delta` and
        `flash_delta` bytes more (negative: fewer), or the model versions a device would
        win or lose with `ram_delta` and `flash_delta` bytes more. A delta of the other
        side is refused."""
        for name, delta in (("arena_delta", arena_delta), ("flash_delta", flash_delta),
                            ("ram_delta", ram_delta)):
            whole_number(name, delta, -MAX_DELTA, MAX_DELTA)
        whole_number("limit", limit, 1, MAX_LIMIT)
        version = resolve_model(self.registry, model) if model is not None else None
        board = resolve_device(self.registry, device) if device is not None else None
        answer = compat.what_if(self.registry, version_iri=version, device_iri=board,
                                arena_delta=arena_delta, flash_delta=flash_delta,
                                ram_delta=ram_delta, explain=explain)
        if version is not None:
            return Changes({"model": version}, answer.gained, answer.lost, local_name, limit)
        return Changes({"device": board}, answer.gained, answer.lost, version_ref, limit)

    def best(self, device: str, task: str, metric: str, *, on_slice: str | None = None,
             explain: bool = False, max_latency_ms: float | None = None) -> list[Ranked]:
        """The model versions for `task` that fit the device, best `metric` first."""
        MatchFilter(max_latency_ms=max_latency_ms)  # the same bounds as a match question's
        return compat.best_model(self.registry, resolve_device(self.registry, device), task,
                                 metric, on_slice=on_slice, explain=explain,
                                 max_latency_ms=max_latency_ms)


def _counted(judged: Judged, where: MatchFilter, page: Page, subject: dict[str, str],
             ident: Callable[[str], str]) -> Counted[dict]:
    items = match_rows(judged.matches(where.explain, page.limit, page.offset), ident)
    return Counted(items, judged.total if where.explain else judged.fitting, page.limit,
                   page.offset, fitting=judged.fitting, subject=subject, extra=where.said())


def _fit(judged: Judged, shown: int, subject: dict[str, str], ident: Callable[[str], str]) -> Fit:
    # As many fitting as `shown`, then others: as many again when the fitting fill the
    # first `shown`, else the rest of the first `shown`.
    fits = judged.matches(True, min(shown, judged.fitting))
    others = shown if judged.fitting >= shown else shown - judged.fitting
    misfits = judged.matches(True, others, judged.fitting) if others else []
    return Fit(subject, judged.fitting, judged.unknown, judged.total, match_rows(fits, ident),
               match_rows(misfits, ident))
