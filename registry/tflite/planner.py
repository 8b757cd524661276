"""A static estimate of a model's activation memory on TFLM, without running TFLM.

It replays what TFLM's GreedyMemoryPlanner does with the model's subgraphs (all are planned
in one arena: micro_allocation_info.cc, greedy_memory_planner.cc):

- every tensor without constant data, not variable and not empty needs a buffer of its byte
  size rounded up to the arena alignment, 16;
- lifetimes count in steps: subgraph 0's inputs are created at step 0, each operator runs
  at the next step, creates its outputs there and last uses its inputs there, subgraph
  outputs live to the subgraph's last step; a control-flow operator (IF, WHILE, CALL_ONCE)
  walks the subgraphs it runs inside its step, each from a step of its own; two buffers may
  share memory only when their step ranges (inclusive) do not meet;
- offline-planned tensors (OfflineMemoryAllocation, one offset per tensor of every
  subgraph) sit at their given offsets, in tensor order; the others follow largest first, equal sizes later tensor first (TFLM fills its
  sort array from the back and bubble-sorts it, which keeps that order), each at the lowest
  offset where it fits among the placed buffers alive at the same time.

The estimate is the highest end of a placed buffer: the arena's "head" as TFLM records it,
less the scratch buffers kernels request in Prepare (known only by running them). It leaves
out the persistent "tail" (tensor and node structs, quantization data), which TFLM adds on
top, so it is a lower bound of the arena a device must provide.
"""
from __future__ import annotations

from bisect import insort
from dataclasses import dataclass

from .metadata import OFFLINE_MEMORY_ALLOCATION, offline_plan
from .model import Model

ARENA_ALIGNMENT = 16

# TfLiteTypeSizeOf; types without a fixed element size (STRING, RESOURCE, VARIANT) give 0
# bytes, and TFLM does not plan a buffer for them.
ELEMENT_BYTES = {"FLOAT32": 4, "FLOAT16": 2, "BFLOAT16": 2, "FLOAT64": 8, "INT64": 8,
                 "UINT64": 8, "INT32": 4, "UINT32": 4, "INT16": 2, "UINT16": 2, "INT8": 1,
                 "UINT8": 1, "INT4": 1, "BOOL": 1, "COMPLEX64": 8, "COMPLEX128": 16}


@dataclass(frozen=True)
class PlannerEstimate:
    activation_bytes: int  # the planned head of the arena
    buffer_count: int  # tensors given a buffer
    offline_planned: bool  # an OfflineMemoryAllocation plan fixed some offsets
    method: str  # "greedy" (TFLM's planner) or "live peak" (see MAX_GREEDY_BUFFERS)


# The greedy placement is quadratic in the number of buffers, like TFLM's. TinyML models have
# tens to hundreds; past this many (only a crafted or a server-class model) the estimate is
# the largest sum of bytes alive at one step instead, which no plan can go below.
MAX_GREEDY_BUFFERS = 4096


@dataclass(eq=False)
class _Buffer:
    size: int
    first: int
    last: int
    offset: int = -1

    def meets(self, other: _Buffer) -> bool:
        return not (self.first > other.last or other.first > self.last)


def estimate_activation_memory(model: Model) -> PlannerEstimate:
    buffers = _buffers(model)
    raw_plan = model.metadata_entry(OFFLINE_MEMORY_ALLOCATION)
    plan = offline_plan(raw_plan) if raw_plan is not None else None
    # TFLM refuses a plan whose offsets do not cover its tensors; estimate without it then.
    if plan and len(plan.offsets) == sum(len(g.tensors) for g in model.subgraphs):
        fixed = [i for i in buffers if plan.offsets[i] >= 0]
    else:
        fixed = []
    if len(buffers) > MAX_GREEDY_BUFFERS:
        return PlannerEstimate(activation_bytes=_live_peak(buffers.values()),
                               buffer_count=len(buffers), offline_planned=False,
                               method="live peak")
    placed = []
    for i in fixed:
        buffers[i].offset = plan.offsets[i]
        insort(placed, buffers[i], key=_offset)
    online = [buffers[i] for i in reversed(buffers) if i not in fixed]
    online.sort(key=lambda b: b.size, reverse=True)  # stable: ties stay later tensor first
    for b in online:
        b.offset = _lowest_fit(b, placed)
        insort(placed, b, key=_offset)  # after equal offsets, as TFLM inserts
    return PlannerEstimate(activation_bytes=max((b.offset + b.size for b in placed), default=0),
                           buffer_count=len(placed), offline_planned=bool(fixed),
                           method="greedy")


def _offset(b: _Buffer) -> int:
    return b.offset


def _live_peak(buffers) -> int:
    change: dict[int, int] = {}
    for b in buffers:
        change[b.first] = change.get(b.first, 0) + b.size
        change[b.last + 1] = change.get(b.last + 1, 0) - b.size
    peak = alive = 0
    for step in sorted(change):
        alive += change[step]
        peak = max(peak, alive)
    return peak


def _buffers(model: Model) -> dict[int, _Buffer]:
    """The buffers TFLM would plan, by tensor index counted across subgraphs (subgraph 0's
    tensors first, as TFLM's AllocationInfo array has them), with their lifetimes."""
    starts, count = [], 0
    for subgraph in model.subgraphs:
        starts.append(count)
        count += len(subgraph.tensors)
    first, last = [-1] * count, [-1] * count
    _mark_lifetimes(model, 0, starts, first, last, [0], set())
    buffers = {}
    for g, subgraph in enumerate(model.subgraphs):
        for i, t in enumerate(subgraph.tensors):
            size = t.elements * ELEMENT_BYTES.get(t.type, 0)
            if size and not t.is_variable and not model.is_constant(t) and first[starts[g] + i] >= 0:
                aligned = -(-size // ARENA_ALIGNMENT) * ARENA_ALIGNMENT
                buffers[starts[g] + i] = _Buffer(size=aligned, first=first[starts[g] + i],
                                                 last=last[starts[g] + i])
    return buffers


def _mark_lifetimes(model: Model, g: int, starts: list[int], first: list[int], last: list[int],
                    scope: list[int], running: set[int]) -> None:
    """TFLM's AllocationInfoBuilder::MarkAllocationLifetimes: each operator opens a scope (a
    step), and the subgraphs a control-flow operator runs are walked inside it, each in a
    scope of its own, before the operator's inputs are last used."""
    subgraph, base = model.subgraphs[g], starts[g]
    running = running | {g}  # a subgraph that (indirectly) runs itself is walked once

    def created(i: int) -> None:
        if first[base + i] < 0:
            first[base + i] = scope[0]

    def used(i: int) -> None:
        last[base + i] = scope[0]

    for i in subgraph.inputs:
        created(i)
        used(i)
    for op in subgraph.operators:
        scope[0] += 1
        for i in op.outputs:
            created(i)
        for called in op.calls:
            if called not in running:
                scope[0] += 1
                _mark_lifetimes(model, called, starts, first, last, scope, running)
        for i in op.inputs:
            if i >= 0:
                used(i)
        for i in op.outputs:
            used(i)
    for i in subgraph.outputs:
        created(i)
        used(i)


def _lowest_fit(wanted: _Buffer, by_offset: list[_Buffer]) -> int:
    """TFLM's first fit: walk the live buffers by offset, stop at the first gap big enough."""
    offset = 0
    for other in by_offset:
        if not wanted.meets(other):
            continue
        if other.offset - offset >= wanted.size:
            break
        offset = max(offset, other.offset + other.size)
    return offset
