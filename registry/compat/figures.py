"""Which of a model's runtime figures apply to which devices, for the ResourceFit pattern.

A tr:RuntimeFigure applies to a device that has its runtime installed, or that has its NPU
(on the device or on one of its processors) in the figure's configuration: MACs per cycle
and memory mode, where the figure states them. Where several apply, the smallest counts (as
the shape's query takes it); every figure of that value gives a result of its own.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from ..vocab import TR, prefixes
from .fleet import Fleet, Unpatchable, lexical
from .splice import Splice

# The OPTIONALs in GRAPH blocks of their own and ?p by a FILTER (as _NPU_HOSTS below and
# patterns._REGIONS): inside one GRAPH ?e block, Oxigraph read them over every graph even
# with ?e bound, 24 ms for the one device a refresh re-reads at 10,000 devices; 0.35 ms so.
_FIGURES = prefixes("tr") + f"""
SELECT ?e ?fig ?x ?rt ?npu ?macs ?mode ?basis ?source WHERE {{
  GRAPH ?e {{ ?e tr:runtimeFigure ?fig . ?fig ?q ?x }} FILTER (?q = ?p)
  OPTIONAL {{ GRAPH ?e {{ ?fig tr:onRuntime ?rt }} }} OPTIONAL {{ GRAPH ?e {{ ?fig tr:onNPU ?npu }} }}
  OPTIONAL {{ GRAPH ?e {{ ?fig tr:npuMacs ?macs }} }} OPTIONAL {{ GRAPH ?e {{ ?fig tr:npuMemoryMode ?mode }} }}
  OPTIONAL {{ GRAPH ?e {{ ?fig tr:figureBasis ?basis }} }} OPTIONAL {{ GRAPH ?e {{ ?fig tr:figureSource ?source }} }} }}"""
# Each device's installs (node and runtime), read once for the fleet: the memory, runtime
# and latency constraints read them too. A join of two scans: the install's runtime sought
# after each install took 13 s at 100,000 devices, and the seeks grow faster than the fleet.
INSTALL_NODES = f"""{{ SELECT ?e ?i ?rt WHERE {{
    {{ SELECT ?e ?i WHERE {{ GRAPH ?e {{ ?e tr:hasRuntime ?i }} }} }}
    {{ SELECT ?e ?i ?rt WHERE {{ GRAPH ?e {{ ?i tr:runtime ?rt }} }} }} }} }}"""
INSTALLS = prefixes("tr") + f"""
SELECT ?e ?i ?rt WHERE {{ {INSTALL_NODES} }}"""
_NPU_HOSTS = prefixes("tr") + f"""
SELECT ?e ?host ?npu ?macs ?mode WHERE {{
  {{ {{ SELECT ?e ?npu WHERE {{ GRAPH ?e {{ ?e tr:hasNPU ?npu }} }} }} BIND (?e AS ?host) }}
  UNION {{ {{ SELECT ?e ?host WHERE {{ GRAPH ?e {{ ?e tr:hasProcessor ?host }} }} }}
          {{ SELECT ?e ?host ?npu WHERE {{ GRAPH ?e {{ ?host tr:hasNPU ?npu }} }} }} }}
  OPTIONAL {{ GRAPH ?e {{ ?host tr:npuMacs ?macs }} }} OPTIONAL {{ GRAPH ?e {{ ?host tr:npuMemoryMode ?mode }} }} }}"""


@dataclass(frozen=True)
class _Figure:
    value: float
    basis: str  # as the shape's message says it, e.g. "declared by X-CUBE-AI 10.2"
    applies: np.ndarray  # per device


class RuntimeFigures:
    def __init__(self, fleet: Fleet, prop: str, devices_of: Fleet | None = None):
        """The figures of `fleet`'s model versions over the devices of `devices_of` (by
        default the same fleet's)."""
        models, cols = fleet.select("model", _FIGURES, p=prop)
        on = devices_of if devices_of is not None else fleet
        n_devices = len(on.devices)
        devices, installs = on.select("device", INSTALLS)
        installed: dict[int, np.ndarray] = {}
        for rt in np.unique(installs["rt"]).tolist():
            installed[rt] = np.zeros(n_devices, dtype=bool)
            installed[rt][devices[installs["rt"] == rt]] = True
        devices, hosts = on.select("device", _NPU_HOSTS)
        # Per NPU: (device, host) pairs with the set of MACs and of memory modes stated.
        npu_hosts: dict[int, dict[tuple[int, int], tuple[set, set]]] = defaultdict(dict)
        values = fleet.terms.values
        for d, host, npu, macs, mode in zip(devices.tolist(), hosts["host"].tolist(),
                                            hosts["npu"].tolist(), hosts["macs"].tolist(),
                                            hosts["mode"].tolist()):
            found = npu_hosts[npu].setdefault((d, host), (set(), set()))
            found[0].add(_key(values[macs]))
            found[1].add(_key(values[mode]))
        # Devices on which TFLM's measurement is not simply their runtime's figure: those
        # without TFLM, and those with an NPU (the measurement is of the CPU's arena).
        tflm = fleet.terms.iri(str(TR.TFLM))
        self.stands_in = ~installed[tflm] if tflm in installed else np.ones(n_devices, dtype=bool)
        for hosts_of_npu in npu_hosts.values():
            for d, _ in hosts_of_npu:
                self.stands_in[d] = True
        values, numbers = fleet.terms.values, fleet.terms.numbers()  # after the reads
        figures: dict[tuple[int, int], dict] = {}
        for m, fig, x, rt, npu, macs, mode, basis, source in zip(
                models.tolist(), *(cols[k].tolist() for k in (
                    "fig", "x", "rt", "npu", "macs", "mode", "basis", "source"))):
            if np.isnan(numbers[x]):
                continue
            entry = figures.setdefault((m, fig), dict(values=set(), rt=rt, npu=npu, macs=set(),
                                                      mode=set(), basis=basis, source=source))
            entry["values"].add(float(numbers[x]))
            entry["macs"].add(macs)
            entry["mode"].add(mode)
        self.stated = np.zeros(len(fleet.models), dtype=bool)  # models with any such figure
        self.by_model: dict[int, list[_Figure]] = defaultdict(list)
        for (m, _), f in figures.items():
            self.stated[m] = True
            applies = np.zeros(n_devices, dtype=bool)
            if f["rt"]:
                applies |= installed[f["rt"]] if f["rt"] in installed else False
            if f["npu"]:
                wanted_macs = {_key(values[k]) for k in f["macs"] if k}
                wanted_mode = {_key(values[k]) for k in f["mode"] if k}
                for (d, _), (macs, modes) in npu_hosts.get(f["npu"], {}).items():
                    if wanted_macs <= macs and wanted_mode <= modes:
                        applies[d] = True
            text = (f"{lexical(values[f['basis']]) if f['basis'] else 'stated'} by "
                    f"{lexical(values[f['source']]) if f['source'] else 'an unnamed source'}")
            # Several values of one property on one figure: the query reads each.
            for value in f["values"]:
                self.by_model[m].append(_Figure(value, text, applies))
        self.need: dict[int, np.ndarray] = {}
        for m, found in self.by_model.items():
            row = np.full(n_devices, np.nan)
            for f in found:
                row = np.where(f.applies, np.fmin(row, f.value), row)
            self.need[m] = row

    def patched(self, sub: "RuntimeFigures", splice: Splice) -> "RuntimeFigures":
        """These figures over the patched fleet; `sub`: over every model version and the
        devices re-read. The figures are the model versions' and so the same."""
        if {m: [(f.value, f.basis) for f in found] for m, found in self.by_model.items()} != \
                {m: [(f.value, f.basis) for f in found] for m, found in sub.by_model.items()}:
            raise Unpatchable("runtime figures differ")
        new = copy.copy(self)
        new.stands_in = splice.rows(self.stands_in, sub.stands_in)
        new.by_model = {m: [replace(f, applies=splice.rows(f.applies, g.applies))
                            for f, g in zip(found, sub.by_model[m])]
                        for m, found in self.by_model.items()}
        new.need = {m: splice.rows(row, sub.need[m]) for m, row in self.need.items()}
        return new

    def models_patched(self, fleet: Fleet, sub_fleet: Fleet, sub: "RuntimeFigures", splice: Splice,
                       prop: str) -> "RuntimeFigures":
        """These figures over the fleet patched along the model axis; `sub`: over the model
        versions re-read and no device. The devices' side (installs, NPUs) stays."""
        new = copy.copy(self)
        new.stated = splice.rows(self.stated, sub.stated)
        if sub.by_model:  # which devices each applies to, worked out over the whole fleet
            sub = RuntimeFigures(sub_fleet, prop, devices_of=fleet)
        new.by_model = splice.keyed(self.by_model, sub.by_model)
        new.need = splice.keyed(self.need, sub.need)
        return new

    def bases(self, model: int, device: int) -> list[tuple[float, str]]:
        """(value, basis) of each figure deciding the pair's need; none when none applies."""
        row = self.need.get(model)
        if row is None or np.isnan(row[device]):
            return []
        least = row[device]
        return list(dict.fromkeys((f.value, f.basis) for f in self.by_model[model]
                                  if f.applies[device] and f.value == least))


def _key(value) -> str | None:
    return None if value is None else lexical(value)
