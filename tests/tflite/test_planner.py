"""estimate_activation_memory(): the static replay of TFLM's greedy planner gives TFLM's own
head figure, offline plans included."""
from __future__ import annotations

import struct

import pytest

from tinyreg.registry.tflite import planner, writer
from tinyreg.registry.tflite.model import parse
from tinyreg.registry.tflite.planner import estimate_activation_memory

from .conftest import MAX_BYTES, sine_model, small_vision, tflm_report


def estimate(data: bytes):
    return estimate_activation_memory(parse(data, max_bytes=MAX_BYTES))


@pytest.mark.parametrize("model", [
    sine_model, small_vision, writer.fully_connected, writer.conv2d, writer.depthwise_conv2d,
    lambda: writer.conv2d(dtype="int16x8"), lambda: writer.vision(size=32, dtype="float32"),
], ids=["sine", "small vision", "fully_connected", "conv2d", "depthwise", "int16x8",
        "vision float32"])
def test_estimate_is_tflms_head(model):
    data = model()
    result = estimate(data)
    assert result.method == "greedy" and not result.offline_planned
    assert f"Arena allocation head {result.activation_bytes} bytes" in tflm_report(data)


@pytest.mark.parametrize("offsets", [(64, -1, -1, 0), (256, -1, -1, -1)],
                         ids=["both fixed", "input fixed"])
def test_offline_plan_is_followed(offsets):
    plan = struct.pack("<7i", 1, 0, 4, *offsets)
    data = writer.fully_connected(metadata={"OfflineMemoryAllocation": plan})
    result = estimate(data)
    assert result.offline_planned
    assert f"Arena allocation head {result.activation_bytes} bytes" in tflm_report(data)


def test_a_plan_not_covering_every_tensor_is_ignored():
    plan = struct.pack("<5i", 1, 0, 2, 64, 0)
    data = writer.fully_connected(metadata={"OfflineMemoryAllocation": plan})
    assert not estimate(data).offline_planned
    assert estimate(data).activation_bytes == estimate(writer.fully_connected()).activation_bytes


def test_many_buffers_fall_back_to_the_live_peak(monkeypatch):
    greedy = estimate(small_vision())
    monkeypatch.setattr(planner, "MAX_GREEDY_BUFFERS", 0)
    peak = estimate(small_vision())
    assert peak.method == "live peak" and peak.buffer_count == greedy.buffer_count
    assert 0 < peak.activation_bytes <= greedy.activation_bytes
