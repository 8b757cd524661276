"""measure_file(): the one call the registry makes for a submitted .tflite file."""
from __future__ import annotations

import pytest

from tinyreg.registry.errors import Invalid, TooLarge
from tinyreg.registry.tflite import measure_file, writer

from .conftest import MAX_BYTES, small_vision


def test_a_model_tflm_runs_gets_tflms_figures_and_no_estimate():
    data = small_vision()
    report = measure_file(data, max_bytes=MAX_BYTES, timeout_s=60)
    assert report.analysis.byte_size == len(data)
    assert report.tflm.runs and report.tflm.minimum_arena >= report.tflm.arena.tail
    assert report.litert.runs
    assert report.estimate is None


def test_a_model_tflm_refuses_gets_the_whole_arena_estimated():
    report = measure_file(writer.custom_op(width=4), max_bytes=MAX_BYTES, timeout_s=60)
    assert not report.tflm.runs and not report.litert.runs
    assert "TinyregCustom" in report.tflm.reason and "TinyregCustom" in report.litert.reason
    # Input and output, 4 floats each, are alive together: two 16-byte buffers; the
    # persistent tail and the load-time peak come on top.
    estimate = report.estimate
    assert estimate.head_bytes == 32 and estimate.tail_bytes > 0
    assert estimate.total_bytes >= estimate.head_bytes + estimate.tail_bytes


@pytest.mark.parametrize("data, limit, error", [
    (b"not a model", MAX_BYTES, Invalid), (writer.fully_connected(), 64, TooLarge)])
def test_unreadable_files_raise_before_any_interpreter_runs(data, limit, error):
    with pytest.raises(error):
        measure_file(data, max_bytes=limit, timeout_s=60)


def test_an_input_left_open_is_not_measured_at_its_placeholder_shape():
    # As openWakeWord's melspectrogram.tflite is written: samples [1, 1], signature [-1, -1].
    report = measure_file(writer.open_length_reshape(), max_bytes=MAX_BYTES, timeout_s=60)
    placeholder = ("input 'samples' has an open dimension (shape signature [1, -1]; "
                   "the file stores [1, 1] as a placeholder)")
    assert report.analysis.inputs[0].shape_signature == (1, -1)
    tflm, litert = report.tflm, report.litert
    assert not tflm.runs and tflm.measured and tflm.arena is None
    assert tflm.reason == (f"{placeholder}, and TFLM has no dynamic shapes: convert the model "
                           f"with a fixed input shape")
    # LiteRT can be given the real length, which the registry does not know: no verdict.
    assert not litert.runs and not litert.measured
    assert litert.reason.startswith(f"could not check: {placeholder}, and at that shape LiteRT "
                                    f"failed (")
    assert report.estimate is None


@pytest.mark.parametrize("signature", [(-1, 8), (1, -1)], ids=["open batch", "size chosen"])
def test_an_open_batch_or_a_stored_size_is_measured(signature):
    report = measure_file(writer.open_length_reshape(length=8, signature=signature),
                          max_bytes=MAX_BYTES, timeout_s=60)
    assert report.tflm.runs and report.tflm.minimum_arena > 0
    assert report.litert.runs and report.litert.reason is None
