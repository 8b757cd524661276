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
    assert report.planner is None


def test_a_model_tflm_refuses_gets_the_planner_estimate():
    report = measure_file(writer.custom_op(width=4), max_bytes=MAX_BYTES, timeout_s=60)
    assert not report.tflm.runs and not report.litert.runs
    assert "TinyregCustom" in report.tflm.reason and "TinyregCustom" in report.litert.reason
    # Input and output, 4 floats each, are alive together: two 16-byte buffers.
    assert report.planner.activation_bytes == 32


@pytest.mark.parametrize("data, limit, error", [
    (b"not a model", MAX_BYTES, Invalid), (writer.fully_connected(), 64, TooLarge)])
def test_unreadable_files_raise_before_any_interpreter_runs(data, limit, error):
    with pytest.raises(error):
        measure_file(data, max_bytes=limit, timeout_s=60)
