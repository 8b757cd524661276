"""What the compatibility shapes leave a device for a model, resource by resource.

The shapes' fit constraints (trs:ResourceFit in shapes/patterns.ttl: RAM, flash) accept a
model when its need is at most the device's usable memory less its reserve less the cost
of its leanest runtime. The fleet engine compiles that to one figure per device, the
constraint's slack; `free_bytes` reads it back. So the gate, which compares a model's need
with that figure, and a device, which sizes the tensor arena it test-loads a model in with
it (the reference agent), follow one rule that cannot drift apart.
"""
from __future__ import annotations

import math
from typing import Iterable

from ..resources import reference_graph
from ..store import EmbeddedStore
from ..vocab import ONTOLOGY_IRI
from .engine import Engine
from .patterns import ResourceFit


def free_bytes(engine: Engine, device: str) -> dict[str, int | None]:
    """By capacity property (tr:usableRamBytes, tr:usableFlashBytes): the bytes the shapes
    leave the device for a model; None when it states no usable figure (a total alone says
    nothing of what a model may take); left out when the shapes do not check that resource
    on its kind of device (flash on a Linux-class device)."""
    index = engine.device(device)
    out: dict[str, int | None] = {}
    for compiled in engine.compiled:
        if not isinstance(compiled, ResourceFit):
            continue
        slack = float(compiled.slack[index])
        if math.isinf(slack):
            continue
        known_usable = not math.isnan(float(compiled.usable[index]))
        figure = None if math.isnan(slack) or not known_usable else int(slack)
        known = out.get(compiled.capacity_property)
        # Two constraints on one resource: the tighter one decides.
        out[compiled.capacity_property] = figure if known is None or figure is None else min(
            known, figure)
    return out


def budgets_of(records: Iterable) -> dict[str, dict[str, int | None]]:
    """`free_bytes` for devices known to no registry, from their `DeviceRecord`s: a device
    working out its own budget. They go into a store in memory with the ontology (for the
    runtimes' typical overheads and the device classes)."""
    records = list(records)
    with EmbeddedStore(None) as store:
        store.put_graph(ONTOLOGY_IRI, reference_graph())
        store.bulk_load(((r.iri, r.ntriples()) for r in records), batch=max(len(records), 1))
        engine = Engine.load(store)
        return {r.iri: free_bytes(engine, r.iri) for r in records}
