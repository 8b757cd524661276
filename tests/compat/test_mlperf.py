"""The verdicts checked against what really ran: MLPerf Tiny's closed division, rounds v0.5-v1.1
and v1.2 (held out from the latency model's fit).

Every official board/benchmark pair whose board the catalog describes with figures must be
judged `runs` for the int8 reference model of that benchmark (registry/latency/reference.py
rebuilds the four with our writer; the registry measures their arenas in TFLM). Vision models
registered with `--sensor camera`, as the README registers them, run on those boards and do
not fit them: no board of these has a camera, and the verdict names it.
"""
from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from tinyreg.registry import compat
from tinyreg.registry.devices.register import load_catalog
from tinyreg.registry.latency.reference import BENCHMARKS, reference_model
from tinyreg.registry.models.register import register_model
from tinyreg.registry.vocab import device_iri

# The rounds the latency model was fitted on, and v1.2, held out from that fit.
RESULTS = [resources.files("tinyreg.registry.latency").joinpath("data", name)
           for name in ("mlperf_tiny_v0.5-v1.1.csv", "mlperf_tiny_v1.2_heldout.csv")]
# The submitters' board names for the boards of the catalog (spellings as in the results).
CATALOG = {"B-U585I-IOT02A": "st-b-u585i-iot02a", "CY8CPROTO-062-4343W": "infineon-cy8cproto-062-4343w",
           "DISCO-F746NG": "st-stm32f746g-disco", "NUCLEO-L4R5ZI": "st-nucleo-l4r5zi",
           "Nucleo-L4R5ZI": "st-nucleo-l4r5zi", "NUCLEO-U575ZI-Q": "st-nucleo-u575zi-q",
           "nRF5340 DK": "nordic-nrf5340-dk"}
SENSORS = {"ad": "microphone", "kws": "microphone", "ic": "camera", "vww": "camera"}


@pytest.fixture(scope="module")
def mlperf(tmp_path_factory):
    from tinyreg.registry import Registry, load_settings
    data = tmp_path_factory.mktemp("mlperf") / "data"
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        registry.init()
        load_catalog(registry)
        versions = {b: register_model(registry, reference_model(b), {
            "name": f"MLPerf Tiny {b}", "sensors": [SENSORS[b]]}).iri for b in BENCHMARKS}
        yield registry, versions


def _pairs() -> set[tuple[str, str]]:
    rows = [r for table in RESULTS for r in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))]
    return {(CATALOG[r["board"]], r["benchmark"]) for r in rows
            if r["division"] == "closed" and r["board"] in CATALOG}


def test_every_official_pair_on_a_described_board_runs(mlperf):
    registry, versions = mlperf
    pairs = _pairs()
    assert len({board for board, _ in pairs}) == 6 and len(pairs) >= 20
    for board, benchmark in sorted(pairs):
        verdict = compat.check(registry, versions[benchmark], device_iri(board))
        assert verdict.runs is True, (board, benchmark, [r.message for r in verdict.violations + verdict.unknowns])
        assert all("without an FPU" not in r.message for r in verdict.results), (board, benchmark)
        ram = verdict.headroom["RAM"]
        assert ram["difference"] >= 0 and ram["needed"] == sum(i["bytes"] for i in ram["items"])


def test_vision_models_run_but_do_not_fit_without_a_camera_and_say_so(mlperf):
    registry, versions = mlperf
    for board in sorted({board for board, _ in _pairs()}):
        for benchmark in ("ic", "vww"):
            verdict = compat.check(registry, versions[benchmark], device_iri(board))
            assert (verdict.runs, verdict.fits) == (True, False), (board, benchmark)
            [missing] = verdict.violations
            assert missing.message.startswith("no camera on the device"), missing.message
