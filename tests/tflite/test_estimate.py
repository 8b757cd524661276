"""estimate_arena(): the whole arena TFLM needs, from the file alone, within 10 % of what TFLM
itself needs (the measured minimum) on every model TFLM measures here."""
from __future__ import annotations

from functools import cache

import pytest

from tinyreg.registry.tflite import analyse, estimate_file, writer
from tinyreg.registry.tflite.tflm import measure_tflm

from .conftest import MAX_BYTES, sine_model, wake_word_models

TOLERANCE = 0.10

MODELS = {"sine": sine_model, **writer.VARIANTS}
MODELS.update({f"micro_wake_word {name}": (lambda data=data: data)
               for name, (data, _) in wake_word_models().items()})


@cache
def measured_minimum(name: str) -> int:
    data = MODELS[name]()
    result = measure_tflm(data, analyse(data, max_bytes=MAX_BYTES), timeout_s=120)
    assert result.runs, result.reason
    return result.minimum_arena


@pytest.mark.parametrize("name", MODELS)
def test_estimate_is_within_ten_percent_of_the_measured_minimum(name):
    estimate = estimate_file(MODELS[name](), max_bytes=MAX_BYTES)
    minimum = measured_minimum(name)
    assert abs(estimate.total_bytes - minimum) <= TOLERANCE * minimum, (estimate, minimum)
    assert estimate.total_bytes >= estimate.head_bytes + estimate.tail_bytes


def test_the_tail_is_counted_where_it_outweighs_the_head():
    # A streaming model keeps most of its arena in the tail (its state and kernel data): a
    # figure of the planned activations alone would be a fraction of the need.
    estimate = estimate_file(writer.streaming(), max_bytes=MAX_BYTES)
    assert estimate.tail_bytes > 3 * estimate.head_bytes
    assert estimate.head_bytes < 0.5 * measured_minimum("streaming int8")
