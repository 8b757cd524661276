"""What each runtime itself costs in RAM and flash, per core, each figure with its source.

The table is `runtime_costs.csv` beside this module: one row per runtime and core (an empty
core: any core the runtime has no row of its own for), a RAM and a code figure in bytes
(either may be empty: that figure then comes from the any-core row), the source both figures
come from, as verdicts cite it, and what that source says. The registry loads it into the store with the ontology as tr:RuntimeCost
nodes, which is where the compatibility shapes read it; a device's own figure on its
tr:RuntimeInstall wins over the table.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import DCTERMS, RDF, XSD

from .vocab import TR

TABLE = Path(__file__).with_name("runtime_costs.csv")


@dataclass(frozen=True)
class RuntimeCost:
    runtime: str  # the runtime's local name in the ontology (TFLM, LiteRT ...)
    core: str | None  # the core's local name, None for any core
    ram_bytes: int | None
    code_bytes: int | None
    source: str  # short, as explanations cite it
    says: str  # what the source states, and how it was read


@functools.lru_cache(maxsize=1)
def runtime_costs() -> tuple[RuntimeCost, ...]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        figures = [int(row[k]) if row[k].strip() else None for k in ("ram_bytes", "code_bytes")]
        out.append(RuntimeCost(row["runtime"].strip(), row["core"].strip() or None, *figures,
                               source=row["source"].strip(), says=row["says"].strip()))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def runtime_cost_graph() -> rdflib.Graph:
    """The table as tr:RuntimeCost nodes (shared; do not modify)."""
    graph = rdflib.Graph()
    for cost in runtime_costs():
        node = rdflib.BNode()
        graph.add((node, RDF.type, TR.RuntimeCost))
        graph.add((node, TR.costOfRuntime, TR[cost.runtime]))
        if cost.core:
            graph.add((node, TR.costOnCore, TR[cost.core]))
        for prop, value in ((TR.runtimeRamBytes, cost.ram_bytes), (TR.runtimeCodeBytes, cost.code_bytes)):
            if value is not None:
                graph.add((node, prop, rdflib.Literal(value, datatype=XSD.integer)))
        graph.add((node, DCTERMS.source, rdflib.Literal(cost.source)))
        graph.add((node, DCTERMS.description, rdflib.Literal(cost.says, lang="en")))
    return graph
