"""What a .tflite file says about itself, read without TensorFlow.

`analyse` validates the file (see `model.parse`) and summarises it in a `ModelAnalysis`: the
figures the registry records for every model version and the compatibility checks compare
against a device. Operators, tensors and MACs cover every subgraph; inputs and outputs are
subgraph 0's, the one a runtime invokes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .compute import KERNELS, Kernel, node_macs
from .metadata import (MIN_RUNTIME_VERSION, OFFLINE_MEMORY_ALLOCATION, SUPPORT_METADATA,
                       OfflinePlan, SupportMetadata, min_runtime_version, offline_plan,
                       support_metadata)
from .model import Model, Tensor, parse

# TFLM requires the model buffer to start on a 16-byte boundary; linkers place it so and pad.
FLASH_ALIGNMENT = 16

NUMBER_FORMATS = ("int8", "uint8", "int16x8", "float16", "float32", "hybrid")


@dataclass(frozen=True)
class OperatorUse:
    name: str  # builtin operator name; CUSTOM for custom operators
    builtin_code: int
    version: int
    custom_name: str | None
    count: int  # nodes using this (name, version, custom name)


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]  # -1 for a dimension left open; empty when not given
    type: str  # INT8, FLOAT32, ...
    scales: tuple[float, ...]  # empty when not quantized; one per channel when per-channel
    zero_points: tuple[int, ...]


@dataclass(frozen=True)
class ModelAnalysis:
    sha256: str
    byte_size: int
    flash_bytes: int  # the file rounded up to FLASH_ALIGNMENT: model data only, no runtime code
    schema_version: int
    description: str
    subgraph_count: int
    operators: tuple[OperatorUse, ...]  # in order of first use
    tensor_count: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    parameter_count: int  # see `parameter_count`
    macs: int  # see compute.py
    number_format: str  # one of NUMBER_FORMATS, see `number_format`
    metadata_names: tuple[str, ...]
    min_runtime_version: str | None
    offline_plan: OfflinePlan | None
    support_metadata: SupportMetadata | None


def analyse(data: bytes, *, max_bytes: int) -> ModelAnalysis:
    """Raises Invalid or TooLarge when `data` is not a .tflite file this registry can read."""
    return summarise(parse(data, max_bytes=max_bytes))


def summarise(model: Model) -> ModelAnalysis:
    main = model.subgraphs[0]
    return ModelAnalysis(
        sha256=hashlib.sha256(model.data).hexdigest(),
        byte_size=len(model.data),
        flash_bytes=-(-len(model.data) // FLASH_ALIGNMENT) * FLASH_ALIGNMENT,
        schema_version=model.version,
        description=model.description,
        subgraph_count=len(model.subgraphs),
        operators=_operator_uses(model),
        tensor_count=sum(len(s.tensors) for s in model.subgraphs),
        inputs=tuple(_spec(main.tensors[i]) for i in main.inputs),
        outputs=tuple(_spec(main.tensors[i]) for i in main.outputs),
        parameter_count=parameter_count(model),
        macs=_macs(model),
        number_format=number_format(model),
        metadata_names=tuple(name for name, _ in model.metadata),
        min_runtime_version=_decoded(model, MIN_RUNTIME_VERSION, min_runtime_version),
        offline_plan=_decoded(model, OFFLINE_MEMORY_ALLOCATION, offline_plan),
        support_metadata=_decoded(model, SUPPORT_METADATA, support_metadata),
    )


def _decoded(model: Model, name: str, decode):
    raw = model.metadata_entry(name)
    return decode(raw) if raw is not None else None


def _spec(t: Tensor) -> TensorSpec:
    return TensorSpec(name=t.name, shape=t.shape, shape_signature=t.shape_signature,
                      type=t.type, scales=t.scales, zero_points=t.zero_points)


def has_open_dimension(shape, signature) -> bool:
    """Whether the stored `shape` is a placeholder: the converter left a dimension open (-1 in
    the signature) and wrote 1 for it. An open batch, the first of several dimensions, does
    not count: batch 1 is how microcontrollers run a model. A size other than 1 stored for an
    open dimension was chosen by someone, and is taken as the size to run."""
    if len(signature) != len(shape):
        return False
    first = 1 if len(shape) > 1 else 0
    return any(open_ == -1 and stored == 1
               for open_, stored in zip(signature[first:], shape[first:]))


def open_input(analysis: ModelAnalysis) -> str | None:
    """Names the first input whose stored shape is a placeholder (see `has_open_dimension`);
    figures measured at that shape say nothing about the model's real use."""
    for spec in analysis.inputs:
        if has_open_dimension(spec.shape, spec.shape_signature):
            return describe_open_input(spec.name, spec.shape, spec.shape_signature)
    return None


def describe_open_input(name: str, shape, signature) -> str:
    return (f"input {name!r} has an open dimension (shape signature {list(signature)}; "
            f"the file stores {list(shape)} as a placeholder)")


def _operator_uses(model: Model) -> tuple[OperatorUse, ...]:
    counts: dict[int, int] = {}
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            counts[op.opcode] = counts.get(op.opcode, 0) + 1
    # Converters emit one operator code per (op, version, custom name), but nothing forbids
    # duplicates, so merge by value.
    uses: dict[tuple, int] = {}
    for opcode, count in counts.items():
        code = model.opcodes[opcode]
        key = (code.name, code.builtin_code, code.version, code.custom_name)
        uses[key] = uses.get(key, 0) + count
    return tuple(OperatorUse(*key, count=count) for key, count in uses.items())


class _Node(NamedTuple):
    """A compute-heavy node and the tensors its kernel reads and writes."""

    kernel: Kernel
    activation: Tensor
    weights: Tensor
    bias: Tensor | None
    output: Tensor


def _compute_nodes(model: Model) -> Iterator[_Node]:
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            kernel = KERNELS.get(model.opcodes[op.opcode].name)
            if kernel is None or not op.outputs or op.outputs[0] < 0:
                continue
            picks = [op.inputs[i] if i is not None and i < len(op.inputs) else -1
                     for i in (kernel.activation, kernel.weights, kernel.bias)]
            if picks[0] < 0 or picks[1] < 0:
                continue
            act, weights, bias = (subgraph.tensors[i] if i >= 0 else None for i in picks)
            yield _Node(kernel, act, weights, bias, subgraph.tensors[op.outputs[0]])


@dataclass(frozen=True)
class OperatorCost:
    """One operator node's work, for cost models: its MACs (0 outside the compute-heavy
    kernels) and the elements of its first input and its first output."""

    name: str  # builtin operator name, or the custom operator's own name
    macs: int
    input_elements: int
    output_elements: int


def operator_costs(model: Model) -> tuple[OperatorCost, ...]:
    costs = []
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            code = model.opcodes[op.opcode]
            kernel = KERNELS.get(code.name)
            tensors = [subgraph.tensors[i] if 0 <= i < len(subgraph.tensors) else None
                       for i in (op.inputs[:1] + op.outputs[:1])]
            first_in = tensors[0] if op.inputs else None
            first_out = tensors[-1] if op.outputs else None
            macs = 0
            if kernel is not None and first_out is not None:
                picks = [op.inputs[i] if i is not None and i < len(op.inputs) else -1
                         for i in (kernel.activation, kernel.weights)]
                if min(picks) >= 0:
                    act, weights = (subgraph.tensors[i] for i in picks)
                    macs = node_macs(kernel, act.shape, weights.shape, first_out.shape)
            costs.append(OperatorCost(code.custom_name or code.name, macs,
                                      first_in.elements if first_in else 0,
                                      first_out.elements if first_out else 0))
    return tuple(costs)


def _macs(model: Model) -> int:
    return sum(node_macs(n.kernel, n.activation.shape, n.weights.shape, n.output.shape)
               for n in _compute_nodes(model))


def parameter_count(model: Model) -> int:
    """Elements of the model's constant tensors: weights, biases and other learned constants.

    Each buffer counts once even when several tensors share it. Left out: variable tensors
    (their buffer is the initial value of state, not a parameter) and INT32/INT64 constants
    other than the biases of compute-heavy operators (those are shapes, axes, paddings and
    indices: structure, not learned values; quantized biases are INT32/INT64 and do count).
    """
    biases = {n.bias.buffer for n in _compute_nodes(model) if n.bias is not None}
    counted: dict[int, int] = {}
    for subgraph in model.subgraphs:
        for t in subgraph.tensors:
            if not model.is_constant(t) or t.is_variable:
                continue
            if t.type in ("INT32", "INT64") and t.buffer not in biases:
                continue
            counted[t.buffer] = t.elements
    return sum(counted.values())


def number_format(model: Model) -> str:
    """The model's number format, decided by its compute-heavy nodes, first rule that holds:

    float16  a DEQUANTIZE reads a constant FLOAT16 tensor (float16 weights, float32 compute);
    hybrid   a node reads FLOAT32 activations with constant 8-bit weights directly;
    int16x8  a node reads INT16 activations (TFLite pairs them with INT8 weights);
    int8     a node reads INT8 activations;
    uint8    a node reads UINT8 activations (the legacy asymmetric scheme);
    float32  otherwise.

    A model without compute-heavy nodes is judged by the types of its operators'
    non-constant inputs instead.
    """
    nodes = list(_compute_nodes(model))
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if model.opcodes[op.opcode].name == "DEQUANTIZE" and op.inputs and op.inputs[0] >= 0:
                source = subgraph.tensors[op.inputs[0]]
                if source.type == "FLOAT16" and model.is_constant(source):
                    return "float16"
    if any(n.activation.type == "FLOAT32" and n.weights.type in ("INT8", "UINT8")
           and model.is_constant(n.weights) for n in nodes):
        return "hybrid"
    if nodes:
        activations = {n.activation.type for n in nodes}
    else:
        activations = {s.tensors[i].type for s in model.subgraphs for op in s.operators
                       for i in op.inputs if i >= 0 and not model.is_constant(s.tensors[i])}
    for type_name, fmt in (("INT16", "int16x8"), ("INT8", "int8"), ("UINT8", "uint8")):
        if type_name in activations:
            return fmt
    return "float32"
