"""analyse(): operators, tensors, shapes, quantization, MACs, parameters, number format and
metadata, on models whose figures are known by construction and on a converter-made file."""
from __future__ import annotations

import hashlib
import struct

import pytest

from tinyreg.registry.errors import Invalid
from tinyreg.registry.tflite import analyse, writer
from tinyreg.registry.tflite.analysis import NUMBER_FORMATS, has_open_dimension, open_input
from tinyreg.registry.tflite.model import parse

from .conftest import MAX_BYTES, small_vision


def ops(analysis):
    return [(op.name, op.version, op.custom_name, op.count) for op in analysis.operators]


def test_sine_model_from_the_tflite_micro_wheel(sine):
    a = analyse(sine, max_bytes=MAX_BYTES)
    assert a.sha256 == hashlib.sha256(sine).hexdigest()
    assert a.byte_size == len(sine) and a.flash_bytes % 16 == 0
    assert 0 <= a.flash_bytes - a.byte_size < 16
    assert a.schema_version == 3 and a.subgraph_count == 1
    assert ops(a) == [("FULLY_CONNECTED", 1, None, 3)]
    assert [(t.shape, t.type) for t in a.inputs] == [((1, 1), "FLOAT32")]
    assert [(t.shape, t.type) for t in a.outputs] == [((1, 1), "FLOAT32")]
    # The converter left the batch open; batch 1 is the size to run.
    assert a.inputs[0].shape_signature == (-1, 1) and open_input(a) is None
    assert a.tensor_count == 10
    # Dense 1->16->16->1: weights 16 + 256 + 16, biases 16 + 16 + 1.
    assert a.parameter_count == 16 + 256 + 16 + 16 + 16 + 1
    assert a.macs == 1 * 16 + 16 * 16 + 16 * 1
    assert a.number_format == "float32"
    assert a.min_runtime_version == "1.5.0"
    assert a.metadata_names == ("min_runtime_version", "CONVERSION_METADATA")


def test_fully_connected_int8():
    a = analyse(writer.fully_connected(inputs=16, units=8), max_bytes=MAX_BYTES)
    assert ops(a) == [("FULLY_CONNECTED", 1, None, 1)]
    (x,), (y,) = a.inputs, a.outputs
    assert (x.name, x.shape, x.type, x.scales, x.zero_points) == (
        "input", (1, 16), "INT8", (pytest.approx(0.05),), (-128,))
    assert (y.shape, y.type) == ((1, 8), "INT8")
    assert a.macs == 16 * 8
    assert a.parameter_count == 16 * 8 + 8  # the int32 bias counts: it is learned
    assert a.number_format == "int8"
    assert a.description == "tinyreg writer: fully_connected int8"


def test_per_channel_weights_have_one_scale_per_output_channel():
    model = parse(writer.fully_connected(units=8, per_channel=True), max_bytes=MAX_BYTES)
    weights = model.subgraphs[0].tensors[model.subgraphs[0].operators[0].inputs[1]]
    assert len(weights.scales) == 8 and weights.zero_points == (0,) * 8
    per_tensor = parse(writer.fully_connected(units=8), max_bytes=MAX_BYTES)
    assert len(per_tensor.subgraphs[0].tensors[1].scales) == 1


def test_conv2d_macs_by_hand():
    a = analyse(writer.conv2d(size=8, channels=3, filters=4, kernel=3), max_bytes=MAX_BYTES)
    assert ops(a) == [("CONV_2D", 1, None, 1)]
    assert a.outputs[0].shape == (1, 8, 8, 4)
    assert a.macs == (8 * 8 * 4) * (3 * 3 * 3)
    assert a.parameter_count == 4 * 3 * 3 * 3 + 4
    strided = analyse(writer.conv2d(size=9, stride=2, filters=4), max_bytes=MAX_BYTES)
    assert strided.outputs[0].shape == (1, 5, 5, 4)
    assert strided.macs == (5 * 5 * 4) * (3 * 3 * 3)


def test_depthwise_conv2d_macs_by_hand():
    a = analyse(writer.depthwise_conv2d(size=8, channels=4, kernel=3), max_bytes=MAX_BYTES)
    assert ops(a) == [("DEPTHWISE_CONV_2D", 1, None, 1)]
    assert a.macs == (8 * 8 * 4) * (3 * 3)
    assert a.parameter_count == 3 * 3 * 4 + 4


def test_small_vision_model_by_hand():
    a = analyse(small_vision(), max_bytes=MAX_BYTES)
    assert ops(a) == [("CONV_2D", 1, None, 2), ("DEPTHWISE_CONV_2D", 1, None, 1),
                      ("AVERAGE_POOL_2D", 1, None, 1), ("RESHAPE", 1, None, 1),
                      ("FULLY_CONNECTED", 1, None, 1), ("SOFTMAX", 1, None, 1)]
    stem = (4 * 4 * 2) * (3 * 3 * 1)  # 8x8x1, 3x3 stride 2 -> 4x4x2
    depthwise = (2 * 2 * 2) * (3 * 3)  # stride 2 -> 2x2x2
    pointwise = (2 * 2 * 4) * 2  # 1x1, 2 -> 4 channels
    classifier = 3 * 4
    assert a.macs == stem + depthwise + pointwise + classifier
    # Weights and biases; the int32 reshape shape [1, 4] is structure and does not count.
    assert a.parameter_count == (18 + 2) + (18 + 2) + (8 + 4) + (12 + 3)
    assert a.outputs[0].scales == (pytest.approx(1 / 256),)


@pytest.mark.parametrize("model, expected", [
    (lambda: writer.fully_connected(dtype="int8"), "int8"),
    (lambda: writer.conv2d(dtype="uint8", per_channel=False), "uint8"),
    (lambda: writer.conv2d(dtype="int16x8"), "int16x8"),
    (lambda: writer.depthwise_conv2d(dtype="float32"), "float32"),
    (writer.hybrid_fully_connected, "hybrid"),
    (writer.float16_fully_connected, "float16"),
    (writer.custom_op, "float32"),  # no compute-heavy node: judged by its float activations
])
def test_number_format(model, expected):
    assert expected in NUMBER_FORMATS
    assert analyse(model(), max_bytes=MAX_BYTES).number_format == expected


def test_number_format_without_compute_heavy_nodes_follows_the_activations():
    m = writer.ModelBuilder("relu only")
    x = m.tensor("input", [1, 4], "INT8", scales=[0.1], zero_points=[0])
    y = m.tensor("output", [1, 4], "INT8", scales=[0.1], zero_points=[0])
    m.operator("RELU", [x], [y])
    assert analyse(m.build([x], [y]), max_bytes=MAX_BYTES).number_format == "int8"


def test_custom_and_float16_operators_are_listed():
    custom = analyse(writer.custom_op(name="Fancy"), max_bytes=MAX_BYTES)
    assert ops(custom) == [("CUSTOM", 1, "Fancy", 1)]
    assert custom.operators[0].builtin_code == 32
    half = analyse(writer.float16_fully_connected(inputs=4, units=2), max_bytes=MAX_BYTES)
    assert ops(half) == [("DEQUANTIZE", 1, None, 2), ("FULLY_CONNECTED", 1, None, 1)]
    assert half.parameter_count == 4 * 2 + 2  # the float16 constants are the parameters


def test_metadata_entries():
    plan = struct.pack("<7i", 1, 0, 4, 0, -1, -1, 64)
    card = writer.support_metadata(name="kws", version="v2", model_files=("README.txt",),
                                   output_files=("labels.txt",))
    a = analyse(writer.fully_connected(metadata={
        "min_runtime_version": b"2.3.0".ljust(16, b"\0"),
        "OfflineMemoryAllocation": plan, "TFLITE_METADATA": card}), max_bytes=MAX_BYTES)
    assert a.metadata_names == ("min_runtime_version", "OfflineMemoryAllocation",
                                "TFLITE_METADATA")
    assert a.min_runtime_version == "2.3.0"
    assert (a.offline_plan.subgraph, a.offline_plan.offsets) == (0, (0, -1, -1, 64))
    assert a.support_metadata.name == "kws" and a.support_metadata.version == "v2"
    assert a.support_metadata.associated_files == ("README.txt", "labels.txt")


def test_models_without_metadata_say_so():
    a = analyse(writer.fully_connected(), max_bytes=MAX_BYTES)
    assert a.metadata_names == ()
    assert a.min_runtime_version is a.offline_plan is a.support_metadata is None


@pytest.mark.parametrize("name, raw, message", [
    ("OfflineMemoryAllocation", struct.pack("<4i", 1, 0, 5, 0), "announces 5 offsets"),
    ("OfflineMemoryAllocation", b"\0" * 10, "3-word header"),
    ("TFLITE_METADATA", b"not a flatbuffer", "TFLITE_METADATA metadata is not valid"),
])
def test_broken_metadata_is_invalid(name, raw, message):
    with pytest.raises(Invalid, match=message):
        analyse(writer.fully_connected(metadata={name: raw}), max_bytes=MAX_BYTES)


def test_writer_is_deterministic_and_sized_for_benchmarks():
    assert writer.vision() == writer.vision()
    assert writer.conv2d(dtype="float32") == writer.conv2d(dtype="float32")
    assert 500_000 < len(writer.vision()) < 600_000  # the ~550 KB int8 benchmark model


@pytest.mark.parametrize("shape, signature, expected", [
    ((1, 1), (-1, -1), True),  # openWakeWord's melspectrogram input
    ((1, 1), (1, -1), True),
    ((1,), (-1,), True),  # one dimension: the length, not a batch
    ((1, 76, 32, 1), (-1, 76, 32, 1), False),  # an open batch
    ((1, 8), (1, -1), False),  # a size someone chose
    ((1, 16), (), False),  # no signature written
    ((1, 1), (-1,), False),  # a signature of another rank says nothing
])
def test_open_dimensions(shape, signature, expected):
    assert has_open_dimension(shape, signature) is expected


def test_the_shape_signature_is_read_from_the_file():
    a = analyse(writer.open_length_reshape(length=8, signature=(-1, 8)), max_bytes=MAX_BYTES)
    assert a.inputs[0].shape_signature == (-1, 8) and a.outputs[0].shape_signature == (-1, 4)
    assert analyse(writer.fully_connected(), max_bytes=MAX_BYTES).inputs[0].shape_signature == ()
