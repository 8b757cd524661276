"""The fleet engine: the compatibility shapes compiled to NumPy over a whole fleet.

`Engine.load` reads the constraints from the shapes (shapes.py), the columns from the store
(fleet.py) and compiles each constraint with its pattern (patterns.py). A pair's two answers,
runs and fits, are no where a constraint of their groups reports a violation, unknown where
one reports trs:Unknown, else yes; warnings and notes make a pair "warned", headroom
figures nothing. The results are the same as pySHACL's on the same shapes, result by result
(tests/compat).

After a write, `Engine.refreshed` asks the store's change log what was written: when no
model version or device was, the compiled engine stays as it is; otherwise the fleet
re-reads those graphs only. When only devices were written, the constraints are compiled
over those devices and spliced into the compiled arrays (splice.py): at 100,000 devices
that is milliseconds where compiling every constraint again took 0.5-1.6 s. When only
model versions were written, the same is done along the model axis: the constraints are
compiled over those model versions and no device, and spliced in; the devices' side stays
(or, where the model versions ask for other device columns, that constraint is compiled
again). Devices and model versions written together, or a change a pattern cannot splice,
compile the constraints again from the fleet's columns. The answers are those of an engine
built afresh.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Invalid, NotFound
from ..store import Store
from . import snapshot
from .fleet import Fleet, Unpatchable, Written
from .latency_fit import LatencyFit, Timing
from .patterns import NO_ADJUST, PATTERNS, Adjust
from .results import FITS_ONLY, UNKNOWN, Matrix, Result, Verdict, render, sort_results
from .shapes import Constraint, read_constraints
from .splice import Splice

if TYPE_CHECKING:
    from ..core import Registry

log = logging.getLogger(__name__)

# Rows of the matrix computed at once: 64 models x 100,000 devices is 6.4 MB per bool array.
_CHUNK_CELLS = 6_400_000
_CACHE_KEY = "compat"
_SAVED_KEY = "compat.snapshot"  # the revision of the snapshot on disk, as this process knows it
_REFRESHING_KEY = "compat.refreshing"  # true while a thread brings the engine up to date
_BACKGROUND_KEY = "compat.background"  # an Event set when the refresh in a thread of its own ends
_BUILDING = threading.Lock()
_STARTING = threading.Lock()
# From this many devices, a listing waits for the engine's refresh after a write FRESH_WAIT_S
# at most, then answers from the engine before that write (engine_for).
STALE_FROM_DEVICES = 10_000
FRESH_WAIT_S = 0.05
# A pattern's compiler lives beside the others in patterns.py, or in a module of its own.
COMPILERS = {**PATTERNS, LatencyFit.__name__: LatencyFit}


@dataclass
class Outcomes:
    """The answers for models x devices as boolean arrays: runs and fits are each yes,
    no or unknown (neither `*_yes` nor `*_no`); `warned` marks pairs not refused that carry a
    warning or a note."""
    runs_no: np.ndarray
    runs_unknown: np.ndarray
    fits_no: np.ndarray
    fits_unknown: np.ndarray
    warned: np.ndarray

    @property
    def runs_yes(self) -> np.ndarray:
        return ~self.runs_no & ~self.runs_unknown

    @property
    def fits_yes(self) -> np.ndarray:
        return ~self.fits_no & ~self.fits_unknown

    def runs(self, i: int, j: int) -> bool | None:
        return None if self.runs_unknown[i, j] else not self.runs_no[i, j]

    def fits(self, i: int, j: int) -> bool | None:
        return None if self.fits_unknown[i, j] else not self.fits_no[i, j]


@dataclass(frozen=True)
class DevicesPatched:
    """How a patched engine differs from the one it was patched from (whose compiled
    constraints had id `compiled`): its devices were `devices` (term ids, in order), and
    only those `written` (term ids) may answer otherwise now. A reader that kept answers per
    device of that engine carries the others over (registry/facets.py)."""
    compiled: int
    devices: np.ndarray
    written: np.ndarray


class Engine:
    # set on an engine patched after a write to devices only
    devices_patched: DevicesPatched | None = None

    def __init__(self, constraints: tuple[Constraint, ...], fleet: Fleet,
                 compiled: list | None = None, origin: str = "full"):
        self.constraints = constraints
        self.fleet = fleet
        # How this engine came about: "full" (read the whole fleet), "patched" (re-read the
        # devices written, or the model versions, compiled over them and spliced in), "refreshed" (re-read what
        # changed and compiled again) or "kept" (nothing it reads had changed).
        self.origin = origin
        if compiled is not None:
            self.compiled = compiled
            return
        self.compiled = []
        for c in constraints:
            if c.pattern not in COMPILERS:
                raise Invalid(f"compatibility shape {c.shape}: the engine has no compiler for "
                              f"pattern {c.pattern}")
            self.compiled.append(COMPILERS[c.pattern](c, fleet))

    @classmethod
    def load(cls, store: Store, constraints: tuple[Constraint, ...] | None = None,
             model: str | None = None, device: str | None = None) -> "Engine":
        """Compile the constraints (the shipped shapes by default) over the store's fleet,
        or over one model version and one device when they are given."""
        return cls(constraints if constraints is not None else read_constraints(),
                   Fleet(store, model=model, device=device))

    @property
    def revision(self) -> int:
        return self.fleet.revision

    def refreshed(self) -> "Engine | None":
        """This engine at the store's current revision, from what was written since; None
        when the change log cannot say or the changes call for reading everything again."""
        if self.fleet.mark is None:
            return None
        changes = self.fleet.store.changes_since(self.fleet.mark)
        if changes is None:
            return None
        found = self.fleet.refreshed(changes)
        if found is None:
            return None
        fleet, written = found
        if not written:
            return Engine(self.constraints, fleet, self.compiled, origin="kept")
        on_devices = not len(written.models)
        if on_devices or not (len(written.devices) or len(written.gone)):
            try:
                patched = Engine(self.constraints, fleet, self._patched(fleet, written, on_devices),
                                 origin="patched")
                if on_devices:  # what answers kept per device of this engine carry over
                    patched.devices_patched = DevicesPatched(id(self.compiled), self.fleet.device_ids,
                                                             written.devices)
                return patched
            except Unpatchable as why:
                log.info("engine compiled again, not patched: %s", why)
        return Engine(self.constraints, fleet, origin="refreshed")

    def _patched(self, fleet: Fleet, written: Written, on_devices: bool) -> list:
        """The constraints over `fleet`, where only the devices in `written` (or only its
        model versions) differ from this engine's: compiled over those and spliced into
        this engine's arrays."""
        if on_devices:
            sub, side = fleet.narrowed(written), "device"
        else:
            sub, side = fleet.with_models_written(written), "model"
        splice = Splice(self.fleet, fleet, sub, side)
        fleet.spliced_from(self.fleet, sub, splice)
        out = []
        for held in self.compiled:
            over_sub = COMPILERS[held.constraint.pattern](held.constraint, sub)
            out.append(held.patched(fleet, over_sub, splice) if on_devices
                       else held.models_patched(fleet, over_sub, splice))
        return out

    # ---- indexes
    def knows(self, iri: str) -> bool:
        """Whether `iri` is one of the engine's model versions or devices."""
        return iri in self.fleet.model_index or iri in self.fleet.device_index

    def model(self, iri: str) -> int:
        try:
            return self.fleet.model_index[iri]
        except KeyError:
            raise NotFound(f"no model version {iri}") from None

    def device(self, iri: str) -> int:
        try:
            return self.fleet.device_index[iri]
        except KeyError:
            raise NotFound(f"no device {iri}") from None

    # ---- verdicts
    def outcomes(self, models: np.ndarray, devices=slice(None), adjust: Adjust = NO_ADJUST) -> Outcomes:
        """Both answers for models x devices."""
        width = len(self.fleet.devices) if isinstance(devices, slice) else len(devices)
        shape = (len(models), width)
        no = {group: np.zeros(shape, dtype=bool) for group in ("runs", "sensors")}
        unknown = {group: np.zeros(shape, dtype=bool) for group in ("runs", "sensors")}
        warned = np.zeros(shape, dtype=bool)
        for compiled in self.compiled:
            c = compiled.constraint
            if not c.deciding:
                continue
            hits = compiled.violations(models, devices, adjust)
            group = "sensors" if c.group in FITS_ONLY else "runs"
            target = no[group] if c.blocking else unknown[group] if c.severity == UNKNOWN else warned
            np.logical_or(target, hits, out=target)
        fits_no = no["runs"] | no["sensors"]
        runs_unknown = unknown["runs"] & ~no["runs"]
        fits_unknown = (unknown["runs"] | unknown["sensors"]) & ~fits_no
        np.logical_and(warned, ~fits_no, out=warned)
        return Outcomes(no["runs"], runs_unknown, fits_no, fits_unknown, warned)

    def verdicts(self, models: np.ndarray, devices=slice(None),
                 adjust: Adjust = NO_ADJUST) -> tuple[np.ndarray, np.ndarray]:
        """(blocked, warned) for models x devices: not known to fit (refused or unknown),
        or fitting with a warning or a note."""
        found = self.outcomes(models, devices, adjust)
        return ~found.fits_yes, found.warned & found.fits_yes

    def results(self, model: int, device: int, adjust: Adjust = NO_ADJUST) -> list[Result]:
        """Every result the shapes report for one pair, with its message filled in."""
        out = []
        for compiled in self.compiled:
            c = compiled.constraint
            for variables in compiled.explain(model, device, adjust):
                variables = dict(variables, currentShape=c.shape)
                figures = variables.pop("figures", {})
                out.append(Result(severity=c.severity, constraint=c.shape,
                                  message=render(c.message, variables),
                                  path=variables.get("path"), value=variables.get("value"),
                                  figures=figures, group=c.group))
        return sort_results(out)

    def verdict(self, model: int, device: int, adjust: Adjust = NO_ADJUST) -> Verdict:
        found = self.outcomes(np.array([model]), np.array([device]), adjust)
        timing = self.timing(model, device)
        return Verdict(self.fleet.models[model], self.fleet.devices[device],
                       found.runs(0, 0), found.fits(0, 0), self.results(model, device, adjust),
                       latency=timing.as_dict() if timing else None)

    # ---- latency
    @property
    def latency(self) -> LatencyFit | None:
        """The compiled latency budget: its options give every pair's fastest estimate,
        whether or not the model states a budget."""
        return next((c for c in self.compiled if isinstance(c, LatencyFit)), None)

    def timing(self, model: int, device: int) -> Timing | None:
        return self.latency.timing(model, device) if self.latency is not None else None

    def matrix(self, models: np.ndarray | None = None, devices: np.ndarray | None = None) -> Matrix:
        m = np.arange(len(self.fleet.models)) if models is None else np.asarray(models)
        d = slice(None) if devices is None else np.asarray(devices)
        width = len(self.fleet.devices) if devices is None else len(d)
        names = ("fits", "warned", "runs", "fits_unknown", "runs_unknown")
        packed = {name: np.zeros((len(m), (width + 7) // 8), dtype=np.uint8) for name in names}
        step = max(1, _CHUNK_CELLS // max(width, 1))
        for start in range(0, len(m), step):
            rows = m[start:start + step]
            found = self.outcomes(rows, d)
            bits = {"fits": found.fits_yes, "warned": found.warned & found.fits_yes,
                    "runs": found.runs_yes, "fits_unknown": found.fits_unknown,
                    "runs_unknown": found.runs_unknown}
            for name in names:
                packed[name][start:start + len(rows)] = np.packbits(bits[name], axis=1)
        device_iris = self.fleet.devices if devices is None else [self.fleet.devices[i] for i in d]
        return Matrix([self.fleet.models[i] for i in m], device_iris, **packed)


def fleet_engine(registry: Registry, constraints: tuple[Constraint, ...] | None = None) -> Engine:
    """The registry's engine for the current store revision: built once, then refreshed
    from the store's change log after each write. A process starts from the snapshot the
    last one left on disk (snapshot.py), refreshed in the same way."""
    constraints = constraints if constraints is not None else read_constraints()
    engine = current_engine(registry, constraints)
    if engine is not None:
        return engine
    with _BUILDING:
        engine = current_engine(registry, constraints)
        if engine is None:
            registry.cache[_REFRESHING_KEY] = True
            try:
                engine = _brought_up(registry, constraints)
            finally:
                registry.cache[_REFRESHING_KEY] = False
    return engine


def _brought_up(registry: Registry, constraints: tuple[Constraint, ...]) -> Engine:
    """The engine at the store's revision now: the held one (or the snapshot's) refreshed
    from the change log, else one built whole; the caller holds _BUILDING."""
    engine = None
    cached = registry.cache.get(_CACHE_KEY)
    saved = registry.cache.get(_SAVED_KEY)
    if cached is None:
        cached = snapshot.load(registry, constraints)
        # Refreshed from the snapshot, it is worth saving for the next process.
        saved = None if cached is None or cached.revision != registry.store.revision() \
            else cached.revision
    if cached is not None and cached.constraints is constraints \
            and cached.fleet.store is registry.store:
        engine = cached if cached.revision == registry.store.revision() \
            else cached.refreshed()
    if engine is None:
        engine = Engine.load(registry.store, constraints)
    registry.cache[_CACHE_KEY] = engine
    if snapshot.due(engine, saved):
        snapshot.save(registry, engine)
        saved = engine.revision
    registry.cache[_SAVED_KEY] = saved
    return engine


def current_engine(registry: Registry,
                   constraints: tuple[Constraint, ...] | None = None) -> Engine | None:
    """The cached engine if it is up to date, without building one."""
    constraints = constraints if constraints is not None else read_constraints()
    engine = registry.cache.get(_CACHE_KEY)
    if engine is not None and engine.revision == registry.store.revision() \
            and engine.constraints is constraints:
        return engine
    return None


def held_revision(registry: Registry) -> int | None:
    """The store revision of the engine the registry holds now (None: none yet), without
    refreshing it: what a listing answered now from engine_for reads is at least as new."""
    held = registry.cache.get(_CACHE_KEY)
    return None if held is None else held.revision


def refresh_ahead(registry: Registry) -> None:
    """Start bringing the held engine up to date in its thread, when it is behind the store
    in a fleet where readers do not wait for it (STALE_FROM_DEVICES): for a page that has
    other work to do first (rows, facet counts), so that the refresh runs meanwhile and its
    later engine_for waits less, or not at all."""
    constraints = read_constraints()
    held = _held(registry, constraints)
    if held is None or len(held.fleet.devices) < STALE_FROM_DEVICES \
            or registry.cache.get(_REFRESHING_KEY) or held.revision == registry.store.revision():
        return
    _in_background(registry, constraints)


def engine_for(registry: Registry, *iris: str) -> Engine:
    """The engine to answer a listing about `iris` (model versions, devices) from: the
    current one. While another thread refreshes it after a write, the engine from before
    that write, when that one knows them all: the reader does not queue behind the refresh
    and reads what was true a write ago. In a fleet of STALE_FROM_DEVICES devices or more,
    the reader that comes first after a write also starts the refresh in a thread of its
    own and waits for it up to FRESH_WAIT_S (a patched refresh at 100,000 devices takes
    about that on a quiet machine), then answers from the engine before the write; in a
    smaller fleet it waits for the refresh. One asking about what only the write added
    waits for it. A deploy's gate asks `fleet_engine`, which waits."""
    constraints = read_constraints()
    engine = current_engine(registry, constraints)
    if engine is not None:
        return engine
    held = _held(registry, constraints)
    if held is None or not all(held.knows(iri) for iri in iris):
        return fleet_engine(registry, constraints)
    if registry.cache.get(_REFRESHING_KEY):
        return held
    if len(held.fleet.devices) < STALE_FROM_DEVICES:
        return fleet_engine(registry, constraints)
    if _in_background(registry, constraints).wait(FRESH_WAIT_S):
        return fleet_engine(registry, constraints)  # now current, or it says what failed
    return held


def _held(registry: Registry, constraints: tuple[Constraint, ...]) -> Engine | None:
    """The engine the registry holds, if it is of these constraints and this store (of
    any revision)."""
    held = registry.cache.get(_CACHE_KEY)
    if held is None or held.constraints is not constraints or held.fleet.store is not registry.store:
        return None
    return held


def _in_background(registry: Registry, constraints: tuple[Constraint, ...]) -> threading.Event:
    """Set when a refresh of the registry's engine in a thread of its own ends: the one
    running, else one started now."""
    with _STARTING:
        running = registry.cache.get(_BACKGROUND_KEY)
        if running is not None and not running.is_set():
            return running
        done = registry.cache[_BACKGROUND_KEY] = threading.Event()

    def refresh() -> None:
        try:
            fleet_engine(registry, constraints)
        except Exception:  # a reader that waits for it calls fleet_engine and is told
            log.exception("the engine's refresh in the background failed")
        finally:
            done.set()
    registry.in_background(refresh, "engine-refresh")
    return done
