"""A model's work by operator kind: the input of the cost model.

Multiply-accumulates for the kernels that do the arithmetic (convolution, depthwise,
fully connected), tensor elements for the rest (pooling reads its input window by window;
elementwise and data-movement operators touch every output element once or a few times).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..tflite.analysis import operator_costs
from ..tflite.model import parse

MAC_KINDS = ("conv", "depthwise", "fully_connected")
ELEMENT_KINDS = ("pooling", "elementwise", "other")
KINDS = MAC_KINDS + ELEMENT_KINDS

_KIND_OF = {
    "CONV_2D": "conv", "TRANSPOSE_CONV": "conv", "CONV_3D": "conv",
    "DEPTHWISE_CONV_2D": "depthwise",
    "FULLY_CONNECTED": "fully_connected", "BATCH_MATMUL": "fully_connected",
    "AVERAGE_POOL_2D": "pooling", "MAX_POOL_2D": "pooling", "L2_POOL_2D": "pooling",
    "MEAN": "pooling", "SUM": "pooling", "REDUCE_MAX": "pooling", "REDUCE_MIN": "pooling",
}
# Operators that only reinterpret a tensor's shape cost their dispatch, not their elements.
_VIEWS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SHAPE"}
_ELEMENTWISE = {
    "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "RELU", "RELU6", "RELU_N1_TO_1",
    "LEAKY_RELU", "PRELU", "HARD_SWISH", "LOGISTIC", "TANH", "EXP", "LOG", "SQRT", "RSQRT",
    "SQUARE", "SQUARED_DIFFERENCE", "ABS", "NEG", "QUANTIZE", "DEQUANTIZE", "SOFTMAX",
    "LOG_SOFTMAX", "ELU", "FLOOR", "CEIL", "ROUND", "CAST", "POW",
}


def kind_of(operator: str) -> str:
    if operator in _KIND_OF:
        return _KIND_OF[operator]
    return "elementwise" if operator in _ELEMENTWISE else "other"


@dataclass(frozen=True)
class Workload:
    macs: dict[str, int]  # by MAC_KINDS
    elements: dict[str, int]  # by ELEMENT_KINDS
    operators: int

    @property
    def total_macs(self) -> int:
        return sum(self.macs.values())

    def as_dict(self) -> dict:
        return {"macs": dict(self.macs), "elements": dict(self.elements),
                "operators": self.operators, "total_macs": self.total_macs}


def workload_of_costs(costs) -> Workload:
    macs = dict.fromkeys(MAC_KINDS, 0)
    elements = dict.fromkeys(ELEMENT_KINDS, 0)
    for cost in costs:
        kind = kind_of(cost.name)
        if kind in macs:
            macs[kind] += cost.macs
        elif kind == "pooling":
            elements[kind] += cost.input_elements
        elif cost.name not in _VIEWS:
            elements[kind] += cost.output_elements
    return Workload(macs, elements, len(costs))


def workload_of_tflite(data: bytes, *, max_bytes: int = 1 << 30) -> Workload:
    """Raises Invalid or TooLarge when `data` is not a readable .tflite file."""
    return workload_of_costs(operator_costs(parse(data, max_bytes=max_bytes)))
