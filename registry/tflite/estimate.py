"""A static estimate of the whole tensor arena TFLM needs, for models TFLM cannot measure.

The planner (planner.py) replays TFLM's memory plan: the arena's head, exact on every model
that TFLM measures here. TFLM also keeps a persistent tail (its structs for every tensor and
node, kernels' own data, resource variables) and, while it loads a model, borrows memory
for the planner's bookkeeping and for the temporary tensor structs kernels look at in
Prepare. The smallest arena that loads is the largest of three moments:

- at the end: tail + head;
- while planning: the tail so far (all but the input/output tensor structs), the
  scratch-buffer request list, one AllocationInfo per tensor of every subgraph and the
  greedy planner's own record of every planned buffer;
- while preparing an operator: the tail so far, the request list and one temporary
  TfLiteTensor (with its quantization) for each tensor the operator reads or writes.

The struct sizes are those of the tflite-micro Python wheel (a 64-bit host build). What a
kernel keeps for itself (its OpData, parameters, per-channel multipliers) was measured with
RecordingMicroAllocator on the models in `bench/bench_arena_estimate.py` (the project's own and
real ones from packages), by operator; an operator not measured is given the median. The
figures for a 32-bit microcontroller are smaller (pointers of 4 bytes), so the estimate errs
on the side of needing more.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Model, Tensor
from .planner import ELEMENT_BYTES, estimate_activation_memory

EVAL_TENSOR = 24  # TfLiteEvalTensor
NODE = 64  # NodeAndRegistration
PERSISTENT_TENSOR = 64  # the TfLiteTensor of each model input and output
TEMP_TENSOR = 56  # a TfLiteTensor a kernel looks at while it is prepared
QUANTIZATION = 24  # TfLiteAffineQuantization, before its zero-point array
ALLOCATION_INFO = 32  # per tensor of every subgraph, while planning
PLANNER_BUFFER = 36  # the greedy planner's requirement, order and list entry per buffer
SCRATCH_REQUESTS = 192  # the list of scratch-buffer requests, held from Prepare to planning
FIXED = 528  # the allocator, interpreter graph and subgraph records
# What each kernel keeps in the tail besides the figures above (its OpData and parameters;
# per-channel multipliers and resource variables are counted apart), in bytes.
KERNEL_BYTES = {
    "ADD": 104, "ASSIGN_VARIABLE": 40, "AVERAGE_POOL_2D": 96, "CALL_ONCE": 8,
    "CONCATENATION": 64, "CONV_2D": 112, "DEPTHWISE_CONV_2D": 104, "FULLY_CONNECTED": 104,
    "GREATER_EQUAL": 8, "IF": 8, "LEAKY_RELU": 24, "LOGISTIC": 8, "MAXIMUM": 24,
    "MAX_POOL_2D": 40, "MEAN": 48, "MUL": 64, "PAD": 24, "PRELU": 16, "QUANTIZE": 8,
    "READ_VARIABLE": 16, "RESHAPE": 64, "RSQRT": 24, "SOFTMAX": 96, "SPLIT_V": 48,
    "STRIDED_SLICE": 112, "SUB": 24, "VAR_HANDLE": 40,
}
DEFAULT_KERNEL_BYTES = 48  # the median of the table
PER_CHANNEL = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}  # the filter's output-channel axis
# Temporary memory a kernel takes in Prepare beyond its tensor structs (measured as above).
PREPARE_EXTRA = {"CONV_2D": 296, "DEPTHWISE_CONV_2D": 296}
METHOD = "TFLM allocator model (planner head, persistent tail, load-time peak)"


def _align(n: int, to: int) -> int:
    return -(-n // to) * to


@dataclass(frozen=True)
class ArenaEstimate:
    total_bytes: int  # the smallest arena the estimate says loads and runs
    head_bytes: int  # the planned activations (planner.py)
    tail_bytes: int  # persistent: structs, kernels' data, resource variables
    load_peak_bytes: int  # the most borrowed while loading, above the tail then
    method: str
    planner_method: str  # "greedy" or "live peak"


def estimate_arena(model: Model) -> ArenaEstimate:
    plan = estimate_activation_memory(model)
    main = model.subgraphs[0]
    io = [main.tensors[i] for i in main.inputs + main.outputs]
    io_bytes = sum(PERSISTENT_TENSOR + _quantization(t) for t in io)
    tensors = sum(len(g.tensors) for g in model.subgraphs)
    operators = [(model.opcodes[op.opcode].name, op, g) for g in model.subgraphs
                 for op in g.operators]
    kernels = sum(_kernel_bytes(name, op, g) for name, op, g in operators)
    tail = (FIXED + EVAL_TENSOR * tensors + NODE * len(operators) + io_bytes + kernels
            + _resource_variable_bytes(model))
    planning = SCRATCH_REQUESTS + _align(8 * len(model.subgraphs), 16) + ALLOCATION_INFO * (
        tensors) + PLANNER_BUFFER * plan.buffer_count
    preparing = SCRATCH_REQUESTS + max(
        (PREPARE_EXTRA.get(name, 0) + sum(TEMP_TENSOR + _quantization(g.tensors[i])
                                          for i in op.inputs + op.outputs if i >= 0)
         for name, op, g in operators), default=0)
    load_peak = max(planning, preparing)
    total = max(tail + plan.activation_bytes, tail - io_bytes + load_peak)
    return ArenaEstimate(total_bytes=total, head_bytes=plan.activation_bytes, tail_bytes=tail,
                         load_peak_bytes=load_peak, method=METHOD, planner_method=plan.method)


def _quantization(t: Tensor) -> int:
    """The quantization TFLM copies for a tensor struct: the struct and its zero points."""
    if not t.scales:
        return 0
    return QUANTIZATION + _align(4 + 4 * len(t.zero_points), 8)


def _kernel_bytes(name: str, op, g) -> int:
    extra = 0
    if name in PER_CHANNEL and len(op.inputs) > 1 and op.inputs[1] >= 0:
        shape = g.tensors[op.inputs[1]].shape
        axis = PER_CHANNEL[name]
        if len(shape) > axis:
            # An output multiplier and a shift (int32 each) per output channel.
            extra = 2 * _align(4 * shape[axis], 8)
    return KERNEL_BYTES.get(name, DEFAULT_KERNEL_BYTES) + extra


def _resource_variable_bytes(model: Model) -> int:
    """TFLM gives each resource variable a buffer at its first ASSIGN_VARIABLE. The subgraph
    that assigns the most (the initialising one, or the main one) counts every variable once."""
    most = 0
    for g in model.subgraphs:
        assigned = 0
        for op in g.operators:
            if model.opcodes[op.opcode].name == "ASSIGN_VARIABLE" and len(op.inputs) > 1:
                value = g.tensors[op.inputs[1]]
                assigned += _align(value.elements * ELEMENT_BYTES.get(value.type, 0), 16)
        most = max(most, assigned)
    return most
