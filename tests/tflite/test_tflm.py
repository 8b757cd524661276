"""measure_tflm(): TFLM's own arena figures for models it runs, the reason for the ones it
refuses, and "could not measure" when the probe itself crashes, hangs or runs out of memory."""
from __future__ import annotations

import re
from functools import cache
from importlib.metadata import version

import pytest

from tinyreg.registry.tflite import analyse, writer
from tinyreg.registry.tflite.probe import SMALLEST_PROBED_ARENA
from tinyreg.registry.tflite.tflm import measure_tflm

from .conftest import (MAX_BYTES, sine_model, small_vision, tflm_loads, tflm_outcome,
                       tflm_report, wake_word_models)


def measure(data: bytes, **limits):
    return measure_tflm(data, analyse(data, max_bytes=MAX_BYTES), timeout_s=60, **limits)


def _unsupported_builtin() -> bytes:
    m = writer.ModelBuilder("an operator TFLM has no kernel for")
    x, y = m.tensor("input", [1, 4], "FLOAT32"), m.tensor("output", [1, 4], "FLOAT32")
    m.operator("SKIP_GRAM", [x], [y])
    return m.build([x], [y])


RUNNABLE = {
    "sine": sine_model,
    "fully_connected int8": writer.fully_connected,
    "fully_connected float32": lambda: writer.fully_connected(dtype="float32"),
    "conv2d int8": writer.conv2d,
    "conv2d int16x8": lambda: writer.conv2d(dtype="int16x8"),
    "depthwise_conv2d int8": writer.depthwise_conv2d,
    "small vision int8": small_vision,
    "streaming int8": writer.streaming,
    "vision 32 int8": lambda: writer.vision(size=32),
}


@cache
def measured(name: str):
    return measure(RUNNABLE[name]())


@pytest.mark.parametrize("name", RUNNABLE)
def test_arena_figures_are_the_ones_tflm_reports(name):
    data, result = RUNNABLE[name](), measured(name)
    assert result.runs and result.measured and result.reason is None
    assert result.tflm_version == version("tflite-micro")
    report, arena = tflm_report(data), result.arena
    for part in ("total", "head", "tail"):
        assert f"Arena allocation {part} {getattr(arena, part)} bytes" in report
    assert arena.total == arena.head + arena.tail
    for use in arena.breakdown:
        assert (f"'{use.category}' used {use.used_bytes} bytes with alignment overhead "
                f"(requested {use.requested_bytes} bytes for {use.count} ") in report
        assert 0 < use.requested_bytes <= use.used_bytes
    assert {"TfLiteEvalTensor data", "NodeAndRegistration struct"} <= {
        use.category for use in arena.breakdown}
    assert sum(use.used_bytes for use in arena.breakdown) <= arena.tail


@pytest.mark.parametrize("name", RUNNABLE)
def test_minimum_arena_works_and_less_does_not(name):
    data, minimum = RUNNABLE[name](), measured(name).minimum_arena
    assert minimum > SMALLEST_PROBED_ARENA
    assert tflm_loads(data, minimum, invoke=True)
    assert not tflm_loads(data, minimum - 1)
    assert not tflm_loads(data, minimum - 16)


@pytest.mark.parametrize("model, reason", [
    (lambda: writer.custom_op(name="Fancy"), r"^custom operator Fancy not registered in TFLM$"),
    (writer.hybrid_fully_connected, r"^hybrid models \(float activations, int8 weights\) are "
     r"not supported by TFLM; FULLY_CONNECTED \(node 0\) failed to prepare: "),
    (writer.float16_fully_connected, r"^float16 weights \(DEQUANTIZE of float16 constants\) "
     r"are not supported by TFLM; DEQUANTIZE \(node 0\) failed to prepare: "),
    (lambda: writer.fully_connected(dtype="uint8"), r"^uint8 \(legacy asymmetric\) "
     r"quantization is not supported by TFLM; FULLY_CONNECTED \(node 0\) failed to invoke: "),
    (_unsupported_builtin, r"^TFLM has no kernel for operator SKIP_GRAM$"),
], ids=["custom", "hybrid", "float16", "uint8", "unsupported builtin"])
def test_refused_models_say_why(model, reason):
    result = measure(model())
    assert result.measured and not result.runs
    assert re.search(reason, result.reason), result.reason
    assert result.arena is None and result.minimum_arena is None


def test_a_model_larger_than_the_arena_cap_says_so():
    result = measure(writer.conv2d(size=64), max_arena=8192)
    assert result.measured and not result.runs
    assert result.reason == "needs a tensor arena larger than 8192 bytes"


@pytest.mark.parametrize("fault, timeout_s, reason", [
    ("abort", 60, "could not measure: killed by SIGABRT"),
    ("hang", 1, "could not measure: timed out after 1 s"),
    ("memory", 60, f"could not measure: ran out of memory (limit {512 << 20} bytes)"),
])
def test_a_failing_probe_becomes_a_result(monkeypatch, fault, timeout_s, reason):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", fault)
    data = writer.fully_connected()
    result = measure_tflm(data, analyse(data, max_bytes=MAX_BYTES), timeout_s=timeout_s,
                          max_memory=512 << 20)
    assert not result.measured and not result.runs
    assert result.reason == reason


def test_a_streaming_model_reads_and_writes_its_resource_variables():
    analysis = analyse(writer.streaming(), max_bytes=MAX_BYTES)
    names = {op.name for op in analysis.operators}
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= names
    assert analysis.subgraph_count == 2
    assert measured("streaming int8").runs


@pytest.mark.parametrize("name", ["vision 32 int8"])
def test_crashes_below_the_minimum_are_evidence_about_their_size_only(name):
    """TFLM crashes (SIGSEGV) at some arenas below this model's need; the search meets one
    and still ends at the smallest arena that works."""
    data, result = RUNNABLE[name](), measured(name)
    assert result.runs and result.measured and result.failures
    for size, how in result.failures:
        assert how == "killed by SIGSEGV" and size < result.minimum_arena
        assert tflm_outcome(data, size) == "crashed"
    assert tflm_loads(data, result.minimum_arena, invoke=True)
    assert not tflm_loads(data, result.minimum_arena - 1)


WAKE_WORDS = wake_word_models()


@pytest.mark.parametrize("name", WAKE_WORDS)
def test_real_streaming_models_are_measured(name):
    data, manifest = WAKE_WORDS[name]
    result = measure(data)
    assert result.runs and result.measured and result.reason is None
    assert tflm_loads(data, result.minimum_arena, invoke=True)
    assert not tflm_loads(data, result.minimum_arena - 1)
    # The vendor's own figure (its firmware's arena) is enough, and none is wildly off.
    declared = manifest["micro"]["tensor_arena_size"]
    assert tflm_loads(data, declared, invoke=True)
    assert result.minimum_arena <= declared


def test_a_crash_at_every_size_below_one_moves_the_minimum_there(monkeypatch):
    """Sizes below 5000 bytes crash (injected); the model needs less: 5000 is the answer."""
    assert measured("fully_connected int8").minimum_arena < 5000
    monkeypatch.setenv("TINYREG_PROBE_FAULT", "crash-below:5000")
    result = measure(writer.fully_connected())
    assert result.runs and result.minimum_arena == 5000
    assert result.failures and all(size < 5000 and how == "killed by SIGSEGV"
                                   for size, how in result.failures)


def test_a_hang_at_one_size_is_about_that_size_only(monkeypatch):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", "hang-below:1500")
    data = writer.fully_connected()
    result = measure_tflm(data, analyse(data, max_bytes=MAX_BYTES), timeout_s=60,
                          trial_timeout_s=0.5)
    assert result.runs and result.minimum_arena == 1500
    assert result.failures and all(how == "timed out after 0.5 s"
                                   for _, how in result.failures)


def test_a_crash_at_the_largest_arena_is_not_a_refusal(monkeypatch):
    monkeypatch.setenv("TINYREG_PROBE_FAULT", "crash-below:100000")
    result = measure(writer.fully_connected(), max_arena=8192)
    assert not result.runs and not result.measured
    assert result.reason == ("could not measure: TFLM killed by SIGSEGV with an arena of "
                             "8192 bytes")
