"""The four MLPerf Tiny reference models as operator mixes, written with our own writer.

No package here ships the reference .tflite files, so each is rebuilt from its published
architecture (MLPerf Tiny benchmark paper, Banbury et al., 2021, and the reference training
code in the mlcommons/tiny repository), int8 with per-channel weights and batch
normalisation folded into the convolutions, as the closed division runs them. The weights
are the writer's stand-ins: what the cost model needs is the shapes, hence the MACs and
tensor sizes of every operator, which the registry's own analyser then counts.

    ad   FC autoencoder: 640 -> 128 x4 -> 8 -> 128 x4 -> 640        264,192 MACs
    kws  DS-CNN: conv 10x4/2 64ch, 4 depthwise-separable blocks      2,656,768 MACs
    ic   ResNet-8: conv 16, three residual stacks 16/32/64           12,501,632 MACs
    vww  MobileNetV1 alpha 0.25 at 96x96, 2 classes                  7,489,664 MACs

The totals are what the analyser counts on these files (tests/latency checks them against
the published 0.26 M, 2.7 M, 12.5 M and 7.5 M).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.Padding import Padding

from ..tflite.writer import Layer, ModelBuilder

BENCHMARKS = ("ad", "kws", "ic", "vww")
PUBLISHED_MACS = {"ad": 0.26e6, "kws": 2.7e6, "ic": 12.5e6, "vww": 7.5e6}

_RELU = ActivationFunctionType.RELU


class _Net:
    """Shapes are [1, h, w, c]; every helper returns the output tensor and its shape."""

    def __init__(self, name: str):
        self.m = ModelBuilder(f"tinyreg latency reference: {name}")
        self.layer = Layer("int8", True)
        self.seed = 0

    def _next(self) -> int:
        self.seed += 10
        return self.seed

    def input(self, shape):
        return self.layer.activation(self.m, "input", shape), list(shape)

    def conv(self, x, shape, cout, kh, kw, stride, name):
        _, h, w, cin = shape
        seed = self._next()
        weights, scales = self.layer.weights(self.m, f"{name}/filter", [cout, kh, kw, cin], 0, seed)
        bias = self.layer.bias(self.m, f"{name}/bias", cout, scales, seed + 1)
        out = [1, -(-h // stride), -(-w // stride), cout]
        y = self.layer.activation(self.m, f"{name}/out", out)
        self.m.operator("CONV_2D", [x, weights, bias], [y], ("Conv2DOptions", dict(
            Padding=Padding.SAME, StrideW=stride, StrideH=stride,
            FusedActivationFunction=_RELU)))
        return y, out

    def depthwise(self, x, shape, stride, name):
        _, h, w, c = shape
        seed = self._next()
        weights, scales = self.layer.weights(self.m, f"{name}/filter", [1, 3, 3, c], 3, seed)
        bias = self.layer.bias(self.m, f"{name}/bias", c, scales, seed + 1)
        out = [1, -(-h // stride), -(-w // stride), c]
        y = self.layer.activation(self.m, f"{name}/out", out)
        self.m.operator("DEPTHWISE_CONV_2D", [x, weights, bias], [y], (
            "DepthwiseConv2DOptions", dict(Padding=Padding.SAME, StrideW=stride, StrideH=stride,
                                           DepthMultiplier=1, FusedActivationFunction=_RELU)))
        return y, out

    def add(self, a, b, shape, name):
        y = self.layer.activation(self.m, f"{name}/out", shape)
        self.m.operator("ADD", [a, b], [y], ("AddOptions", dict(FusedActivationFunction=_RELU)))
        return y, shape

    def pool_flatten(self, x, shape, name):
        _, h, w, c = shape
        pooled = self.layer.activation(self.m, f"{name}/out", [1, 1, 1, c])
        self.m.operator("AVERAGE_POOL_2D", [x], [pooled], ("Pool2DOptions", dict(
            Padding=Padding.VALID, StrideW=1, StrideH=1, FilterWidth=w, FilterHeight=h)))
        target = self.m.tensor(f"{name}/shape", [2], "INT32", data=np.array([1, c]))
        flat = self.layer.activation(self.m, f"{name}/flat", [1, c])
        self.m.operator("RESHAPE", [pooled, target], [flat])
        return flat, [1, c]

    def dense(self, x, inputs, units, name):
        seed = self._next()
        weights, scales = self.layer.weights(self.m, f"{name}/weights", [units, inputs], 0, seed)
        bias = self.layer.bias(self.m, f"{name}/bias", units, scales, seed + 1)
        y = self.layer.activation(self.m, f"{name}/out", [1, units])
        self.m.operator("FULLY_CONNECTED", [x, weights, bias], [y], ("FullyConnectedOptions", {}))
        return y

    def softmax_out(self, x, units, inp):
        probs = self.m.tensor("probabilities", [1, units], "INT8", scales=[1 / 256],
                              zero_points=[-128])
        self.m.operator("SOFTMAX", [x], [probs], ("SoftmaxOptions", dict(Beta=1.0)))
        return self.m.build([inp], [probs])


def anomaly_detection() -> bytes:
    net = _Net("ad FC autoencoder")
    inp, _ = net.input([1, 640])
    x, width = inp, 640
    for i, units in enumerate((128, 128, 128, 128, 8, 128, 128, 128, 128, 640)):
        x = net.dense(x, width, units, f"dense{i}")
        width = units
    return net.m.build([inp], [x])


def keyword_spotting() -> bytes:
    net = _Net("kws DS-CNN")
    inp, shape = net.input([1, 49, 10, 1])
    x, shape = net.conv(inp, shape, 64, 10, 4, 2, "conv0")
    for i in range(4):
        x, shape = net.depthwise(x, shape, 1, f"block{i}/depthwise")
        x, shape = net.conv(x, shape, 64, 1, 1, 1, f"block{i}/pointwise")
    x, _ = net.pool_flatten(x, shape, "pool")
    return net.softmax_out(net.dense(x, 64, 12, "classifier"), 12, inp)


def image_classification() -> bytes:
    net = _Net("ic ResNet-8")
    inp, shape = net.input([1, 32, 32, 3])
    x, shape = net.conv(inp, shape, 16, 3, 3, 1, "conv0")
    for stack, (filters, stride) in enumerate(((16, 1), (32, 2), (64, 2))):
        y, yshape = net.conv(x, shape, filters, 3, 3, stride, f"stack{stack}/conv1")
        y, yshape = net.conv(y, yshape, filters, 3, 3, 1, f"stack{stack}/conv2")
        if stride != 1:
            x, shape = net.conv(x, shape, filters, 1, 1, stride, f"stack{stack}/shortcut")
        x, shape = net.add(x, y, yshape, f"stack{stack}/add")
    x, _ = net.pool_flatten(x, shape, "pool")
    return net.softmax_out(net.dense(x, 64, 10, "classifier"), 10, inp)


# (pointwise filters, depthwise stride) of MobileNetV1's 13 blocks at alpha 0.25.
_MOBILENET_BLOCKS = ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                     (128, 1), (128, 1), (128, 1), (256, 2), (256, 1))


def visual_wake_words() -> bytes:
    net = _Net("vww MobileNetV1 0.25")
    inp, shape = net.input([1, 96, 96, 3])
    x, shape = net.conv(inp, shape, 8, 3, 3, 2, "conv0")
    for i, (filters, stride) in enumerate(_MOBILENET_BLOCKS):
        x, shape = net.depthwise(x, shape, stride, f"block{i}/depthwise")
        x, shape = net.conv(x, shape, filters, 1, 1, 1, f"block{i}/pointwise")
    x, _ = net.pool_flatten(x, shape, "pool")
    return net.softmax_out(net.dense(x, 256, 2, "classifier"), 2, inp)


RECIPES = {"ad": anomaly_detection, "kws": keyword_spotting, "ic": image_classification,
           "vww": visual_wake_words}


@lru_cache(maxsize=None)
def reference_model(benchmark: str) -> bytes:
    return RECIPES[benchmark]()
