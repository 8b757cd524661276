"""The calibration reproduces from the stored table: the shipped factors are its fit."""
from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest

from tinyreg.registry.latency.calibration import load_table
from tinyreg.registry.latency.cost import Factors, shipped_factors
from tinyreg.registry.latency.extract import COLUMNS
from tinyreg.registry.latency.fit import fit

# The one-factor-per-core anchor as issue 19 quotes it (MAC per cycle, MLPerf Tiny closed).
ISSUE_SINGLE_FACTORS = {"cortex-m0plus": 0.09, "cortex-m4": 0.32, "cortex-m33": 0.44,
                        "cortex-m7": 0.69}


@pytest.fixture(scope="module")
def refit() -> Factors:
    return fit(load_table())


def _table_text() -> str:
    return resources.files("tinyreg.registry.latency").joinpath(
        "data", "mlperf_tiny_v0.5-v1.1.csv").read_text()


def test_table_holds_rounds_v0_5_to_v1_1_only_with_provenance():
    import csv
    rows = list(csv.DictReader(_table_text().splitlines()))
    assert list(rows[0]) == COLUMNS
    assert Counter(r["round"] for r in rows) == {"v0.5": 8, "v0.7": 37, "v1.0": 40, "v1.1": 56}
    for r in rows:
        assert r["source_repo"] == f"mlcommons/tiny_results_{r['round']}"
        assert len(r["source_commit"]) == 40 and r["source_path"].startswith("closed/")
        assert r["division"] == "closed" and float(r["latency_ms"]) > 0


def test_refit_reproduces_the_shipped_factors(refit):
    shipped = json.loads(resources.files("tinyreg.registry.latency").joinpath(
        "data", "factors.json").read_text())
    assert refit.as_json() == shipped
    assert shipped_factors().as_json() == shipped


def test_single_factors_agree_with_the_figures_the_issue_quotes(refit):
    for core, quoted in ISSUE_SINGLE_FACTORS.items():
        assert refit.single_factor[core] == pytest.approx(quoted, rel=0.15), core
    # The order of the families is the cores' order of throughput per clock.
    f = refit.single_factor
    assert f["cortex-m0plus"] < f["cortex-m4"] < f["cortex-m33"] < f["cortex-m7"]


def test_runtime_moves_one_core_several_fold(refit):
    # NUCLEO-L4R5ZI keyword spotting: 182 ms with reference TFLM, 43-98 ms with X-CUBE-AI.
    m4 = {r: g.macs_per_cycle for (c, r), g in refit.groups.items() if c == "cortex-m4"}
    assert m4["x-cube-ai"] / m4["tflm-reference"] > 2.5
    assert refit.groups[("cortex-m4", "x-cube-ai")].boards == 1


def test_rows_without_a_core_family_or_clock_are_left_out(tmp_path):
    lines = _table_text().splitlines()
    header, first = lines[0], lines[1].split(",")
    first[COLUMNS.index("core_family")] = ""
    (tmp_path / "t.csv").write_text("\n".join([header, ",".join(first), *lines[2:]]))
    assert len(load_table(tmp_path / "t.csv")) == len(load_table()) - 1


def test_the_held_out_rounds_are_apart_from_the_fitted_table():
    from tinyreg.registry.latency.calibration import HELD_OUT
    held_out = load_table(name=HELD_OUT)
    assert held_out and {o.round for o in held_out} == {"v1.2"}
    assert not {o.round for o in load_table()} & {"v1.2", "v1.3"}
