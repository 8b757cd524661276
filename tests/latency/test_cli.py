"""`tinyreg estimate` on a registry with the bundled catalog and a registered model."""
from __future__ import annotations

import json

import pytest

from tinyreg.registry.latency.calibration import load_table

from .conftest import catalog_cli


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    data = tmp_path_factory.mktemp("estimate")
    run = catalog_cli(data)
    model = data / "kws-ds-cnn.tflite"
    added = run("model", "add", model, "--name", "KWS DS-CNN", "--task", "keyword-spotting")
    assert added.exit_code == 0, added.output
    # A board whose catalog entry states no clock: nothing to turn cycles into time.
    board = data / "noclock.json"
    board.write_text(json.dumps({"name": "No clock board", "build": {"cpu": "cortex-m4",
                                 "mcu": "nrf52840"}, "upload": {"maximum_ram_size": 262144,
                                                                 "maximum_size": 1048576}}))
    assert run("device", "add", board).exit_code == 0
    return run


def test_json_answer_with_band_covers_the_published_figures(cli):
    result = cli("estimate", "kws-ds-cnn", "st-nucleo-l4r5zi", "--runtime", "X-CUBE-AI v7.3",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    latency = answer["latency_ms"]
    assert set(latency) == {"estimate", "low", "high"}
    assert answer["runtime"] == "x-cube-ai" and answer["calibrated"] is True
    assert answer["macs"] == 2_656_768 and answer["clock_hz"] == 120_000_000
    assert answer["basis"].startswith("calibrated: Arm Cortex-M4/M4F with X-CUBE-AI")
    published = [o.latency_ms for o in load_table() if o.board == "nucleol4r5zi"
                 and o.runtime == "x-cube-ai" and o.benchmark == "kws"]
    assert all(latency["low"] <= p <= latency["high"] for p in published)
    assert "energy_uj" in answer


def test_text_answer_and_the_device_runtime(cli):
    result = cli("estimate", "kws-ds-cnn@1", "raspberry-pi-pico")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("kws-ds-cnn@1 on raspberry-pi-pico with TFLM with reference kernels: ")
    assert "UNCALIBRATED" in first and " ms (band " in first


@pytest.mark.parametrize("args, message", [
    (("kws-ds-cnn", "st-nucleo-l4r5zi", "--runtime", "tensorflow.js"), "unknown runtime"),
    (("no-such-model", "st-nucleo-l4r5zi"), "no model"),
    (("kws-ds-cnn", "no-such-board"), "no device"),
    (("kws-ds-cnn", "platformio-noclock"), "no clock frequency"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli("estimate", *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
