"""check_litert(): LiteRT, for Linux-class devices, runs what TFLM refuses except unknown
custom operators, and a crashing probe is a result."""
from __future__ import annotations

from importlib.metadata import version

import pytest

from tinyreg.registry.tflite import writer
from tinyreg.registry.tflite.litert import check_litert

from .conftest import sine_model, small_vision


@pytest.mark.parametrize("model", [
    sine_model, small_vision, writer.hybrid_fully_connected, writer.float16_fully_connected,
    lambda: writer.fully_connected(dtype="uint8"),
], ids=["sine", "small vision", "hybrid", "float16", "uint8"])
def test_runs_on_litert(model):
    result = check_litert(model(), timeout_s=60)
    assert result.runs and result.measured and result.reason is None
    assert result.litert_version == version("ai-edge-litert")


def test_unknown_custom_operator_is_named():
    result = check_litert(writer.custom_op(name="Fancy"), timeout_s=60)
    assert result.measured and not result.runs
    assert result.reason == "Encountered unresolved custom op: Fancy."


def test_a_crashing_probe_becomes_a_result(monkeypatch):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", "abort")
    result = check_litert(writer.fully_connected(), timeout_s=60)
    assert not result.measured and not result.runs
    assert result.reason == "could not measure: killed by SIGABRT"
