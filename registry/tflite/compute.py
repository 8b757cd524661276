"""The compute-heavy operators: which inputs they read as activations, weights and bias, and
how many multiply-accumulates (MACs) one invocation performs.

These few operators do nearly all of a TinyML model's arithmetic, so their MACs stand for the
model's cost, and the types of their activations and weights decide its number format.
Weight layouts are TensorFlow Lite's:

    CONV_2D            filter [oc, kh, kw, ic/groups]  MACs: output elements * kh*kw*ic/groups
    DEPTHWISE_CONV_2D  filter [1, kh, kw, oc]          MACs: output elements * kh*kw
    FULLY_CONNECTED    weights [units, depth]          MACs: output elements * depth
    BATCH_MATMUL       lhs [..., m, k] (or [..., k, m]) MACs: output elements * k
    TRANSPOSE_CONV     filter [oc, kh, kw, ic]         MACs: input elements * kh*kw*oc
    CONV_3D            filter [kd, kh, kw, ic, oc]     MACs: output elements * kd*kh*kw*ic

A node whose shapes do not have the ranks above contributes no MACs rather than a guess.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Callable

Shape = tuple[int, ...]


def _batch_matmul_depth(lhs: Shape, out: Shape) -> int:
    # Without reading adj_x: if lhs's rows match the output's, the depth is lhs's last axis;
    # when they differ lhs is transposed. (When they are equal both readings agree.)
    return lhs[-1] if lhs[-2] == out[-2] else lhs[-2]


@dataclass(frozen=True)
class Kernel:
    activation: int  # input position of the activation tensor
    weights: int
    bias: int | None
    weight_rank: int | None  # the rank the MACs formula needs; None: any rank >= 2
    macs: Callable[[Shape, Shape, Shape], int]  # (activation, weights, output) shapes -> MACs


KERNELS = {
    "CONV_2D": Kernel(0, 1, 2, 4, lambda a, w, o: prod(o) * w[1] * w[2] * w[3]),
    "DEPTHWISE_CONV_2D": Kernel(0, 1, 2, 4, lambda a, w, o: prod(o) * w[1] * w[2]),
    "FULLY_CONNECTED": Kernel(0, 1, 2, 2, lambda a, w, o: prod(o) * w[1]),
    "BATCH_MATMUL": Kernel(0, 1, None, None,
                           lambda a, w, o: prod(o) * _batch_matmul_depth(a, o)),
    "TRANSPOSE_CONV": Kernel(2, 1, 3, 4, lambda a, w, o: prod(a) * w[0] * w[1] * w[2]),
    "CONV_3D": Kernel(0, 1, 2, 5, lambda a, w, o: prod(o) * w[0] * w[1] * w[2] * w[3]),
}


def node_macs(kernel: Kernel, activation: Shape, weights: Shape, output: Shape) -> int:
    if kernel.weight_rank is None:
        fits = len(activation) >= 2 and len(output) >= 2
    else:
        fits = len(weights) == kernel.weight_rank
    return kernel.macs(activation, weights, output) if fits else 0
