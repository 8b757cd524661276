"""Writes small, valid .tflite files without TensorFlow.

The registry needs models whose every figure is known in advance: for tests, for the demo data
and for benchmarks at realistic sizes. Each recipe below builds one through the schema's
generated builders (the `tflite` package) and returns the file's bytes. Output is deterministic:
weights come from an arithmetic pattern, not a random generator, so a recipe called with the
same arguments always yields the same file (and the same SHA-256).

Number formats (`dtype`): "float32"; "int8" (int8 activations and weights, int32 bias);
"uint8" (the legacy asymmetric scheme); "int16x8" (int16 activations, int8 weights, int64 bias).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from .model import FILE_IDENTIFIER

SCHEMA_VERSION = 3

# Activation, weight and bias element types, and the activation zero point, per number format.
_FORMATS = {
    "float32": ("FLOAT32", "FLOAT32", "FLOAT32", 0),
    "int8": ("INT8", "INT8", "INT32", -128),
    "uint8": ("UINT8", "UINT8", "INT32", 128),
    "int16x8": ("INT16", "INT8", "INT64", 0),  # int16 activations must be symmetric
}
_NUMPY = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32, "INT64": np.int64,
          "INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16}
_ACTIVATION_SCALE = 0.05
_SOFTMAX_OUTPUT = {"INT8": ([1 / 256], [-128]), "UINT8": ([1 / 256], [0]),
                   "INT16": ([1 / 32768], [0])}


def _table(builder: flatbuffers.Builder, table: str, **fields) -> int:
    """One table from scalars and offsets of what is already written."""
    # Not `tflite.X`: the package re-exports the class X over the module with the builders.
    module = importlib.import_module(f"tflite.{table}")
    module.Start(builder)
    for name, value in fields.items():
        getattr(module, "Add" + name)(builder, value)
    return module.End(builder)


def _offsets(builder: flatbuffers.Builder, offsets: list[int]) -> int:
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _numbers(builder: flatbuffers.Builder, values, dtype) -> int:
    return builder.CreateNumpyVector(np.asarray(values, dtype=dtype).reshape(-1))


def _aligned_bytes(builder: flatbuffers.Builder, data: bytes) -> int:
    # TFLM reads weights in place; the converter aligns buffers to 16 bytes and so do we.
    builder.StartVector(1, len(data), 16)
    builder.head -= len(data)
    builder.Bytes[builder.head:builder.head + len(data)] = data
    return builder.EndVector()


def _pattern(count: int, seed: int) -> np.ndarray:
    """Deterministic, varied values in [-1, 1): stand-ins for trained weights."""
    return ((np.arange(count, dtype=np.int64) * 7919 + seed * 104729) % 251 - 125) / 126.0


@dataclass
class ModelBuilder:
    """Collects tensors and operators of one subgraph, then writes the file."""

    description: str
    tensors: list[dict] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=lambda: [b""])  # buffer 0: the empty sentinel
    opcodes: list[tuple[int, str | None]] = field(default_factory=list)
    operators: list[tuple[int, list[int], list[int], tuple | None]] = field(default_factory=list)
    metadata: dict[str, bytes] = field(default_factory=dict)
    # Further subgraphs (1, 2, ...), e.g. the one a CALL_ONCE runs: (name, their builder).
    extra: list[tuple[str, ModelBuilder]] = field(default_factory=list)

    def subgraph(self, name: str) -> tuple[int, ModelBuilder]:
        """A further subgraph and the builder of its tensors and operators; it shares this
        one's buffers and operator codes, as subgraphs of one file do."""
        side = ModelBuilder(self.description, buffers=self.buffers, opcodes=self.opcodes)
        self.extra.append((name, side))
        return len(self.extra), side

    def tensor(self, name: str, shape, type_name: str, data: np.ndarray | None = None,
               scales=(), zero_points=(), axis: int = 0, signature=None) -> int:
        """`signature`: the shape signature, -1 for a dimension left open (None: none written)."""
        buffer = 0
        if data is not None:
            self.buffers.append(np.asarray(data, dtype=_NUMPY[type_name]).tobytes())
            buffer = len(self.buffers) - 1
        self.tensors.append(dict(name=name, shape=list(shape), type=getattr(TensorType, type_name),
                                 buffer=buffer, scales=list(scales),
                                 zero_points=list(zero_points), axis=axis,
                                 signature=None if signature is None else list(signature)))
        return len(self.tensors) - 1

    def operator(self, op: str, inputs: list[int], outputs: list[int],
                 options: tuple[str, dict] | None = None, custom: str | None = None) -> None:
        """`op` is a BuiltinOperator name; `options` is (options table name, its fields)."""
        key = (getattr(BuiltinOperator, op), custom)
        if key not in self.opcodes:
            self.opcodes.append(key)
        self.operators.append((self.opcodes.index(key), inputs, outputs, options))

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        b = flatbuffers.Builder(1024 + sum(map(len, self.buffers)))
        subgraphs = [self._write_subgraph(b, "main", inputs, outputs)]
        subgraphs += [side._write_subgraph(b, name, [], []) for name, side in self.extra]
        opcodes = []
        for code, custom in self.opcodes:
            # Codes above 127 no longer fit the old int8 field, which then holds 127.
            fields = dict(DeprecatedBuiltinCode=min(code, 127), Version=1, BuiltinCode=code)
            if custom is not None:
                fields["CustomCode"] = b.CreateString(custom)
            opcodes.append(_table(b, "OperatorCode", **fields))
        buffers = self.buffers + list(self.metadata.values())
        entries = [_table(b, "Metadata", Name=b.CreateString(name), Buffer=len(self.buffers) + i)
                   for i, name in enumerate(self.metadata)]
        buffers = [_table(b, "Buffer", **({"Data": _aligned_bytes(b, data)} if data else {}))
                   for data in buffers]
        model = _table(b, "Model", Version=SCHEMA_VERSION, OperatorCodes=_offsets(b, opcodes),
                       Subgraphs=_offsets(b, subgraphs),
                       Description=b.CreateString(self.description),
                       Buffers=_offsets(b, buffers), Metadata=_offsets(b, entries))
        b.Finish(model, file_identifier=FILE_IDENTIFIER)
        return bytes(b.Output())

    def _write_subgraph(self, b: flatbuffers.Builder, name: str, inputs, outputs) -> int:
        tensors = [self._write_tensor(b, t) for t in self.tensors]
        operators = [self._write_operator(b, *op) for op in self.operators]
        return _table(b, "SubGraph", Tensors=_offsets(b, tensors),
                      Inputs=_numbers(b, inputs, np.int32), Outputs=_numbers(b, outputs, np.int32),
                      Operators=_offsets(b, operators), Name=b.CreateString(name))

    @staticmethod
    def _write_tensor(b: flatbuffers.Builder, t: dict) -> int:
        extra = {}
        if t["scales"]:
            extra["Quantization"] = _table(
                b, "QuantizationParameters", Scale=_numbers(b, t["scales"], np.float32),
                ZeroPoint=_numbers(b, t["zero_points"], np.int64), QuantizedDimension=t["axis"])
        if t["signature"] is not None:
            extra["ShapeSignature"] = _numbers(b, t["signature"], np.int32)
        return _table(b, "Tensor", Shape=_numbers(b, t["shape"], np.int32), Type=t["type"],
                      Buffer=t["buffer"], Name=b.CreateString(t["name"]), **extra)

    @staticmethod
    def _write_operator(b: flatbuffers.Builder, opcode, inputs, outputs, options) -> int:
        fields = dict(OpcodeIndex=opcode, Inputs=_numbers(b, inputs, np.int32),
                      Outputs=_numbers(b, outputs, np.int32))
        if options:
            table, values = options
            # Strings are written before the table that points at them.
            values = {k: b.CreateString(v) if isinstance(v, str) else v
                      for k, v in values.items()}
            fields.update(BuiltinOptionsType=getattr(BuiltinOptions, table),
                          BuiltinOptions=_table(b, table, **values))
        return _table(b, "Operator", **fields)


@dataclass(frozen=True)
class _Layer:
    """Quantization bookkeeping shared by the layer helpers of one model."""

    dtype: str
    per_channel: bool

    @property
    def types(self):
        return _FORMATS[self.dtype]

    def activation(self, m: ModelBuilder, name: str, shape) -> int:
        act, _, _, zero_point = self.types
        if act == "FLOAT32":
            return m.tensor(name, shape, act)
        return m.tensor(name, shape, act, scales=[_ACTIVATION_SCALE], zero_points=[zero_point])

    def weights(self, m: ModelBuilder, name: str, shape, axis: int, seed: int) -> tuple[int, list]:
        """Weights quantized per channel along `axis`, or per tensor; returns (tensor, scales)."""
        _, weight_type, _, _ = self.types
        values = _pattern(int(np.prod(shape)), seed).reshape(shape)
        if weight_type == "FLOAT32":
            return m.tensor(name, shape, weight_type, data=values * 0.1), []
        channels = shape[axis] if self.per_channel else 1
        scales = [0.01 * (1 + (c % 7) / 10) for c in range(channels)]
        # int8 weights are symmetric (zero point 0, -127..127); uint8 ones sit around 128.
        zero_point, low, high = (128, 0, 255) if weight_type == "UINT8" else (0, -127, 127)
        data = np.clip(np.round(values * 127) + zero_point, low, high)
        tensor = m.tensor(name, shape, weight_type, data=data, scales=scales,
                          zero_points=[zero_point] * channels, axis=axis)
        return tensor, scales

    def bias(self, m: ModelBuilder, name: str, channels: int, weight_scales: list,
             seed: int) -> int:
        _, _, bias_type, _ = self.types
        values = _pattern(channels, seed)
        if bias_type == "FLOAT32":
            return m.tensor(name, [channels], bias_type, data=values * 0.1)
        scales = [_ACTIVATION_SCALE * s for s in weight_scales]
        return m.tensor(name, [channels], bias_type, data=np.round(values * 1000), scales=scales,
                        zero_points=[0] * len(scales))


# Other recipe modules (the MLPerf Tiny reference models in registry/latency) build with it.
Layer = _Layer


def _conv_out(size: int, stride: int) -> int:
    return -(-size // stride)  # SAME padding


def _conv(m: ModelBuilder, layer: _Layer, x: int, size: int, cin: int, cout: int, *,
          kernel: int, stride: int, seed: int, name: str) -> tuple[int, int]:
    w, scales = layer.weights(m, f"{name}/filter", [cout, kernel, kernel, cin], 0, seed)
    b = layer.bias(m, f"{name}/bias", cout, scales, seed + 1)
    out_size = _conv_out(size, stride)
    y = layer.activation(m, f"{name}/out", [1, out_size, out_size, cout])
    m.operator("CONV_2D", [x, w, b], [y], ("Conv2DOptions", dict(
        Padding=Padding.SAME, StrideW=stride, StrideH=stride,
        FusedActivationFunction=ActivationFunctionType.RELU6)))
    return y, out_size


def _depthwise(m: ModelBuilder, layer: _Layer, x: int, size: int, channels: int, *,
               kernel: int, stride: int, seed: int, name: str) -> tuple[int, int]:
    w, scales = layer.weights(m, f"{name}/filter", [1, kernel, kernel, channels], 3, seed)
    b = layer.bias(m, f"{name}/bias", channels, scales, seed + 1)
    out_size = _conv_out(size, stride)
    y = layer.activation(m, f"{name}/out", [1, out_size, out_size, channels])
    m.operator("DEPTHWISE_CONV_2D", [x, w, b], [y], ("DepthwiseConv2DOptions", dict(
        Padding=Padding.SAME, StrideW=stride, StrideH=stride, DepthMultiplier=1,
        FusedActivationFunction=ActivationFunctionType.RELU6)))
    return y, out_size


def _dense(m: ModelBuilder, layer: _Layer, x: int, inputs: int, units: int, *,
           seed: int, name: str) -> int:
    w, scales = layer.weights(m, f"{name}/weights", [units, inputs], 0, seed)
    b = layer.bias(m, f"{name}/bias", units, scales, seed + 1)
    y = layer.activation(m, f"{name}/out", [1, units])
    m.operator("FULLY_CONNECTED", [x, w, b], [y], ("FullyConnectedOptions", {}))
    return y


def _finish(m: ModelBuilder, metadata: dict[str, bytes] | None, inputs, outputs) -> bytes:
    m.metadata.update(metadata or {})
    return m.build(inputs, outputs)


def fully_connected(*, inputs: int = 16, units: int = 8, dtype: str = "int8",
                    per_channel: bool = False, metadata: dict[str, bytes] | None = None) -> bytes:
    """input [1, inputs] -> FULLY_CONNECTED -> output [1, units]."""
    m, layer = ModelBuilder(f"tinyreg writer: fully_connected {dtype}"), _Layer(dtype, per_channel)
    x = layer.activation(m, "input", [1, inputs])
    return _finish(m, metadata, [x], [_dense(m, layer, x, inputs, units, seed=1, name="dense")])


def conv2d(*, size: int = 8, channels: int = 3, filters: int = 4, kernel: int = 3,
           stride: int = 1, dtype: str = "int8", per_channel: bool = True,
           metadata: dict[str, bytes] | None = None) -> bytes:
    """input [1, size, size, channels] -> CONV_2D (SAME padding, RELU6) -> output."""
    m, layer = ModelBuilder(f"tinyreg writer: conv2d {dtype}"), _Layer(dtype, per_channel)
    x = layer.activation(m, "input", [1, size, size, channels])
    y, _ = _conv(m, layer, x, size, channels, filters, kernel=kernel, stride=stride, seed=1,
                 name="conv")
    return _finish(m, metadata, [x], [y])


def depthwise_conv2d(*, size: int = 8, channels: int = 4, kernel: int = 3, stride: int = 1,
                     dtype: str = "int8", per_channel: bool = True,
                     metadata: dict[str, bytes] | None = None) -> bytes:
    """input [1, size, size, channels] -> DEPTHWISE_CONV_2D (multiplier 1) -> output."""
    m, layer = ModelBuilder(f"tinyreg writer: depthwise_conv2d {dtype}"), _Layer(dtype, per_channel)
    x = layer.activation(m, "input", [1, size, size, channels])
    y, _ = _depthwise(m, layer, x, size, channels, kernel=kernel, stride=stride, seed=1,
                      name="depthwise")
    return _finish(m, metadata, [x], [y])


def custom_op(*, name: str = "TinyregCustom", width: int = 4) -> bytes:
    """input [1, width] -> a custom operator `name` -> output: runnable only where `name` is."""
    m = ModelBuilder(f"tinyreg writer: custom op {name}")
    x, y = m.tensor("input", [1, width], "FLOAT32"), m.tensor("output", [1, width], "FLOAT32")
    m.operator("CUSTOM", [x], [y], custom=name)
    return m.build([x], [y])


def open_length_reshape(*, length: int = 1, signature=(1, -1), width: int = 4) -> bytes:
    """input [1, length] with shape signature `signature` -> RESHAPE to [-1, width] -> output.

    The way converters write a model for inputs of any length (audio front ends, say): the
    open dimension is -1 in the signature and 1 in the stored shape, and at length 1 the
    RESHAPE cannot be computed (unless `width` is 1).
    """
    m = ModelBuilder("tinyreg writer: open-length reshape")
    x = m.tensor("samples", [1, length], "FLOAT32", signature=signature)
    new_shape = m.tensor("new_shape", [2], "INT32", data=np.array([-1, width]))
    y = m.tensor("frames", [max(1, length // width), width], "FLOAT32", signature=[-1, width])
    m.operator("RESHAPE", [x, new_shape], [y])
    return m.build([x], [y])


def hybrid_fully_connected(*, inputs: int = 16, units: int = 8) -> bytes:
    """Float activations, int8 weights read directly by FULLY_CONNECTED (no DEQUANTIZE)."""
    m = ModelBuilder("tinyreg writer: hybrid fully_connected")
    x = m.tensor("input", [1, inputs], "FLOAT32")
    w = m.tensor("dense/weights", [units, inputs], "INT8",
                 data=np.round(_pattern(units * inputs, 1) * 127), scales=[0.01], zero_points=[0])
    b = m.tensor("dense/bias", [units], "FLOAT32", data=_pattern(units, 2) * 0.1)
    y = m.tensor("dense/out", [1, units], "FLOAT32")
    m.operator("FULLY_CONNECTED", [x, w, b], [y], ("FullyConnectedOptions", dict(
        AsymmetricQuantizeInputs=True)))
    return m.build([x], [y])


def float16_fully_connected(*, inputs: int = 16, units: int = 8) -> bytes:
    """Float16 constant weights and bias, each DEQUANTIZEd to float32 before FULLY_CONNECTED."""
    m = ModelBuilder("tinyreg writer: float16 fully_connected")
    x = m.tensor("input", [1, inputs], "FLOAT32")
    dequantized = []
    for name, shape, seed in (("weights", [units, inputs], 1), ("bias", [units], 2)):
        half = m.tensor(f"dense/{name}_fp16", shape, "FLOAT16",
                        data=_pattern(int(np.prod(shape)), seed) * 0.1)
        full = m.tensor(f"dense/{name}", shape, "FLOAT32")
        m.operator("DEQUANTIZE", [half], [full])
        dequantized.append(full)
    y = m.tensor("dense/out", [1, units], "FLOAT32")
    m.operator("FULLY_CONNECTED", [x, *dequantized], [y], ("FullyConnectedOptions", {}))
    return m.build([x], [y])


def streaming(*, features: int = 40, stages: tuple[tuple[int, int], ...] = ((32, 5), (64, 5)),
              classes: int = 1, dtype: str = "int8") -> bytes:
    """A streaming keyword spotter as converters write one: each call takes one frame
    [1, 1, 1, features], and each stage keeps the frames its convolution still needs in a
    resource variable between calls.

    Subgraph 1 sets every variable to zeros; subgraph 0 runs it once (CALL_ONCE), then per
    stage (channels, kernel): VAR_HANDLE, READ_VARIABLE of the last kernel - 1 frames,
    CONCATENATION with the new frame, STRIDED_SLICE of the newest kernel - 1 frames back into
    the variable (ASSIGN_VARIABLE), CONV_2D over the kernel frames; then FULLY_CONNECTED.
    """
    m, layer = ModelBuilder(f"tinyreg writer: streaming {dtype}"), _Layer(dtype, True)
    act = layer.types[0]
    init, setup = m.subgraph("init")
    m.operator("CALL_ONCE", [], [], ("CallOnceOptions", dict(InitSubgraphIndex=init)))
    x = layer.activation(m, "input", [1, 1, 1, features])
    y, width = x, features
    for i, (channels, kernel) in enumerate(stages):
        name, kept = f"stream{i}", [1, kernel - 1, 1, width]
        handle_options = ("VarHandleOptions", dict(SharedName=f"{name}/states"))
        handle = setup.tensor(f"{name}/states", [], "RESOURCE")
        setup.operator("VAR_HANDLE", [], [handle], handle_options)
        zeros = setup.tensor(f"{name}/zeros", kept, act, data=np.full(kept, layer.types[3]),
                             scales=[_ACTIVATION_SCALE], zero_points=[layer.types[3]])
        setup.operator("ASSIGN_VARIABLE", [handle, zeros], [])
        handle = m.tensor(f"{name}/states", [], "RESOURCE")
        m.operator("VAR_HANDLE", [], [handle], handle_options)
        state = layer.activation(m, f"{name}/read", kept)
        m.operator("READ_VARIABLE", [handle], [state])
        window = layer.activation(m, f"{name}/concat", [1, kernel, 1, width])
        m.operator("CONCATENATION", [state, y], [window], ("ConcatenationOptions", dict(Axis=1)))
        slice_ = [m.tensor(f"{name}/{part}", [4], "INT32", data=np.array(values)) for part, values
                  in (("begin", [0, 1, 0, 0]), ("end", [1, kernel, 1, width]),
                      ("strides", [1, 1, 1, 1]))]
        newest = layer.activation(m, f"{name}/newest", kept)
        m.operator("STRIDED_SLICE", [window, *slice_], [newest], ("StridedSliceOptions", {}))
        m.operator("ASSIGN_VARIABLE", [handle, newest], [])
        w, scales = layer.weights(m, f"{name}/filter", [channels, kernel, 1, width], 0, 10 * i)
        b = layer.bias(m, f"{name}/bias", channels, scales, 10 * i + 1)
        y = layer.activation(m, f"{name}/out", [1, 1, 1, channels])
        m.operator("CONV_2D", [window, w, b], [y], ("Conv2DOptions", dict(
            Padding=Padding.VALID, StrideW=1, StrideH=1,
            FusedActivationFunction=ActivationFunctionType.RELU)))
        width = channels
    shape = m.tensor("flatten/shape", [2], "INT32", data=np.array([1, width]))
    flat = layer.activation(m, "flatten/out", [1, width])
    m.operator("RESHAPE", [y, shape], [flat])
    return m.build([x], [_dense(m, layer, flat, width, classes, seed=99, name="classifier")])


# (output channels, stride) of each depthwise-separable block; with the defaults below the
# int8 file is about 550 KB, the size of a small keyword-spotting or vision model.
VISION_BLOCKS = ((32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (448, 2),
                 (448, 1))


def vision(*, size: int = 96, channels: int = 3, stem: int = 16,
           blocks: tuple[tuple[int, int], ...] = VISION_BLOCKS, classes: int = 10,
           dtype: str = "int8", metadata: dict[str, bytes] | None = None) -> bytes:
    """A MobileNet-like classifier: CONV_2D stem, depthwise-separable blocks, global
    AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX."""
    m, layer = ModelBuilder(f"tinyreg writer: vision {dtype}"), _Layer(dtype, True)
    x = layer.activation(m, "input", [1, size, size, channels])
    y, size = _conv(m, layer, x, size, channels, stem, kernel=3, stride=2, seed=1, name="stem")
    width = stem
    for i, (out, stride) in enumerate(blocks):
        y, size = _depthwise(m, layer, y, size, width, kernel=3, stride=stride, seed=10 * i + 2,
                             name=f"block{i}/depthwise")
        y, size = _conv(m, layer, y, size, width, out, kernel=1, stride=1, seed=10 * i + 5,
                        name=f"block{i}/pointwise")
        width = out
    pooled = layer.activation(m, "pool/out", [1, 1, 1, width])
    m.operator("AVERAGE_POOL_2D", [y], [pooled], ("Pool2DOptions", dict(
        Padding=Padding.VALID, StrideW=1, StrideH=1, FilterWidth=size, FilterHeight=size)))
    shape = m.tensor("flatten/shape", [2], "INT32", data=np.array([1, width]))
    flat = layer.activation(m, "flatten/out", [1, width])
    m.operator("RESHAPE", [pooled, shape], [flat])
    logits = _dense(m, layer, flat, width, classes, seed=99, name="classifier")
    act = layer.types[0]
    # Quantized softmax outputs have a fixed scale and zero point: the full range covers [0, 1].
    scale, zero_point = _SOFTMAX_OUTPUT.get(act, ((), ()))
    probs = m.tensor("probabilities", [1, classes], act, scales=scale, zero_points=zero_point)
    m.operator("SOFTMAX", [logits], [probs], ("SoftmaxOptions", dict(Beta=1.0)))
    return _finish(m, metadata, [x], [probs])


def _object(b: flatbuffers.Builder, slots: int, offsets: dict[int, int]) -> int:
    """A table of offset fields only, for schemas without generated builders."""
    b.StartObject(slots)
    for slot, offset in offsets.items():
        b.PrependUOffsetTRelativeSlot(slot, offset, 0)
    return b.EndObject()


def support_metadata(*, name: str, version: str = "", model_files: tuple[str, ...] = (),
                     output_files: tuple[str, ...] = ()) -> bytes:
    """A TFLite Support "TFLITE_METADATA" entry (ModelMetadata, identifier "M001") naming the
    model and its associated files: `model_files` on the model, `output_files` (labels, say) on
    the first output tensor. Slot numbers are those of tflite-support's metadata_schema.fbs.
    """
    b = flatbuffers.Builder(256)

    def files(names):
        return _offsets(b, [_object(b, 4, {0: b.CreateString(n)}) for n in names])

    output = _object(b, 7, {6: files(output_files)})  # TensorMetadata.associated_files
    subgraph = _object(b, 7, {3: _offsets(b, [output])})  # SubGraphMetadata.output_tensor_metadata
    root = _object(b, 8, {0: b.CreateString(name), 2: b.CreateString(version),
                          3: _offsets(b, [subgraph]), 6: files(model_files)})
    b.Finish(root, file_identifier=b"M001")
    return bytes(b.Output())


# The project's own models over a range of operators, shapes and number formats, by name: what
# the arena estimate is held to (tests/tflite/test_estimate.py, bench/bench_arena_estimate.py).
VARIANTS = {
    "fully_connected int8": fully_connected,
    "fully_connected float32": lambda: fully_connected(dtype="float32"),
    "conv2d int8": conv2d,
    "conv2d int16x8": lambda: conv2d(dtype="int16x8"),
    "conv2d float32": lambda: conv2d(dtype="float32"),
    "conv2d 64 filters": lambda: conv2d(filters=64),
    "depthwise_conv2d int8": depthwise_conv2d,
    "depthwise_conv2d 16 channels": lambda: depthwise_conv2d(channels=16),
    "small vision int8": lambda: vision(size=8, channels=1, stem=2, blocks=((4, 2),), classes=3),
    "vision 32 int8": lambda: vision(size=32),
    "vision 96 int8": vision,
    "vision 48 int16x8": lambda: vision(size=48, dtype="int16x8"),
    "vision 32 float32": lambda: vision(size=32, dtype="float32"),
    "streaming int8": streaming,
    "streaming 3 stages": lambda: streaming(stages=((16, 3), (32, 5), (48, 7)), classes=4),
}
