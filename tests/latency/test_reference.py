"""The four MLPerf Tiny reference models, rebuilt with our writer and counted by our analyser."""
from __future__ import annotations

import pytest

from tinyreg.registry.latency.calibration import reference_workloads
from tinyreg.registry.latency.reference import BENCHMARKS, PUBLISHED_MACS, reference_model
from tinyreg.registry.tflite import analyse

# MACs per layer written out from the published architectures (see reference.py).
ARCHITECTURE_MACS = {
    "ad": 640 * 128 + 3 * 128 * 128 + 128 * 8 + 8 * 128 + 3 * 128 * 128 + 128 * 640,
    "kws": 25 * 5 * 64 * 40 + 4 * (25 * 5 * 64 * 9 + 25 * 5 * 64 * 64) + 64 * 12,
    "ic": (32 * 32 * 16 * 27 + 2 * 32 * 32 * 16 * 144 + 16 * 16 * 32 * (144 + 288 + 16)
           + 8 * 8 * 64 * (288 + 576 + 32) + 64 * 10),
}


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_analyser_counts_the_published_totals(benchmark):
    analysis = analyse(reference_model(benchmark), max_bytes=1 << 24)
    assert analysis.number_format == "int8"
    assert analysis.macs == reference_workloads()[benchmark].total_macs
    assert abs(analysis.macs / PUBLISHED_MACS[benchmark] - 1) < 0.03
    if benchmark in ARCHITECTURE_MACS:
        assert analysis.macs == ARCHITECTURE_MACS[benchmark]


def test_operator_mix_by_kind():
    work = reference_workloads()
    assert work["ad"].macs == {"conv": 0, "depthwise": 0, "fully_connected": 264_192}
    assert work["kws"].macs["depthwise"] == 4 * 25 * 5 * 64 * 9
    assert work["ic"].macs["depthwise"] == 0 and work["ic"].elements["elementwise"] > 0  # ADDs
    vww = work["vww"]
    assert vww.macs["depthwise"] / vww.total_macs == pytest.approx(0.107, abs=0.002)
    assert vww.elements["pooling"] == 3 * 3 * 256


def test_reference_models_run_on_tflm():
    from tinyreg.registry.tflite import measure_file
    report = measure_file(reference_model("kws"), max_bytes=1 << 24, timeout_s=60)
    assert report.tflm.runs, report.tflm.reason
