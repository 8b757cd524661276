"""`tinyreg check | match | matrix | what-if | best` on a small registry."""
from __future__ import annotations

import csv
import io
import json

import pytest
import rdflib

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.vocab import TR

from .test_questions import _board, _scored

BOARD = "https://w3id.org/tinyreg/id/device/board-{}"


@pytest.fixture
def cli(tmp_path, invoke, store_overrides):
    registry = Registry(load_settings(environ={}, data_dir=str(tmp_path / "cli-data"), **store_overrides))
    registry.init()
    boards = {BOARD.format(k): _board(BOARD.format(k), k * 1024) for k in (64, 256)}
    models = dict([_scored("kws-small", 40_000, "KeywordSpotting", "Accuracy", 0.90),
                   _scored("kws-big", 150_000, "KeywordSpotting", "Accuracy", 0.95)])
    registry.store.put_graphs({**boards, **models})
    registry.close()  # the CLI opens the store itself
    return invoke


def test_check_exit_codes(cli):
    fits = cli("check", "kws-small", "board-64")
    assert fits.exit_code == 0 and fits.output.startswith("kws-small@1 fits board-64")
    too_big = cli("check", "kws-big@1", "board-64")
    assert too_big.exit_code == 1
    assert too_big.output.startswith("kws-big@1 does not fit board-64 (runs: no, fits: no)")
    assert "RAM: needs 150,000 B of 65,536 B available, short by 84,464 B" in too_big.output
    assert "150,000 B tensor arena (measured)" in too_big.output and "84,464 B short" in too_big.output
    by_iri = cli("check", "https://w3id.org/tinyreg/id/model/kws-big/v1", BOARD.format(256), "--shacl")
    assert by_iri.exit_code == 0
    for args in (("nope", "board-64"), ("kws-small", "no-such-board"), ("kws-small@x", "board-64")):
        refused = cli("check", *args)
        assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_check_json_carries_the_results(cli):
    out = cli("check", "kws-big", "board-64", "--format", "json")
    verdict = json.loads(out.output)
    assert out.exit_code == 1 and verdict["runs"] is False and verdict["fits"] is False
    [result] = [r for r in verdict["results"] if r["severity"] == "violation"]
    assert result["figures"]["difference"] == 65_536 - 150_000 and result["group"] == "RunsGroup"
    assert verdict["headroom"]["RAM"]["needed"] == 150_000 and verdict["headroom"]["RAM"]["available"] == 65_536


def test_check_runs_apart_from_fits_when_a_sensor_is_missing(tmp_path, invoke, store_overrides):
    registry = Registry(load_settings(environ={}, data_dir=str(tmp_path / "cli-data"), **store_overrides))
    registry.init()
    iri, graph = _scored("kws-mic", 40_000, "KeywordSpotting", "Accuracy", 0.9)
    graph.add((rdflib.URIRef(iri), TR.requiresSensor, TR.Microphone))
    registry.store.put_graphs({BOARD.format(64): _board(BOARD.format(64), 65536), iri: graph})
    registry.close()
    out = invoke("check", "kws-mic", "board-64", "--format", "json")
    verdict = json.loads(out.output)
    assert out.exit_code == 1 and verdict["runs"] is True and verdict["fits"] is False
    [missing] = [r for r in verdict["results"] if r["group"] == "SensorGroup"]
    assert missing["severity"] == "violation" and "microphone" in missing["message"].lower()
    assert invoke("check", "kws-mic", "board-64", "--runs-only").exit_code == 0
    listed = invoke("match", "--model", "kws-mic", "--explain")
    assert "does not fit (runs)" in listed.output
    assert json.loads(invoke("match", "--model", "kws-mic", "--runs-only", "--format", "json").output)[0]["runs"] is True
    table = list(csv.reader(io.StringIO(invoke("matrix").output)))
    assert table[1] == ["kws-mic@1", "r"]


def test_check_says_unknown_once_and_bounds_the_headroom_by_the_total(tmp_path, invoke, store_overrides):
    registry = Registry(load_settings(environ={}, data_dir=str(tmp_path / "cli-data"), **store_overrides))
    registry.init()
    board = BOARD.format("total")
    graph = _board(board, 65536)
    graph.remove((rdflib.URIRef(board), TR.usableRamBytes, None))
    graph.add((rdflib.URIRef(board), TR.totalRamBytes, rdflib.Literal(65536)))
    registry.store.put_graphs({board: graph, **dict([_scored("kws-small", 40_000, "KeywordSpotting",
                                                              "Accuracy", 0.9)])})
    registry.close()
    out = invoke("check", "kws-small", "board-total")
    assert out.exit_code == 3
    assert out.output.startswith("kws-small@1 unknown whether it fits board-total (runs: unknown, fits: unknown)")
    assert "RAM: needs 40,000 B of 65,536 B in all (usable not stated), at most 25,536 B to spare" in out.output
    assert "  ? unknown: usable RAM. The device states 65,536 B of RAM in all" in out.output
    assert "unknown: unknown" not in out.output


def test_match_both_ways(cli):
    devices = cli("match", "--model", "kws-big", "--format", "json")
    assert [m["iri"] for m in json.loads(devices.output)] == [BOARD.format(256)]
    explained = cli("match", "--device", "board-64", "--explain")
    assert explained.exit_code == 0
    lines = explained.output.splitlines()
    assert any(l.startswith("kws-small@1") and "fits" in l for l in lines)
    assert any(l.startswith("kws-big@1") and "does not fit" in l and "short" in l for l in lines)
    assert cli("match").exit_code == 2
    assert cli("match", "--model", "kws-big", "--device", "board-64").exit_code == 2


def test_matrix_csv_and_json(cli):
    table = list(csv.reader(io.StringIO(cli("matrix").output)))
    assert table[0] == ["model", "board-256", "board-64"]
    assert sorted(table[1:]) == [["kws-big@1", "1", "0"], ["kws-small@1", "1", "1"]]
    data = json.loads(cli("matrix", "--format", "json").output)
    assert data["counts"] == [1, 2] and data["fits"] == [[True, False], [True, True]]
    assert data["runs"] == data["fits"]


def test_what_if_and_best(cli):
    out = cli("what-if", "--model", "kws-big", "--arena", "-84464", "--format", "json")
    assert [m["iri"] for m in json.loads(out.output)["gained"]] == [BOARD.format(64)]
    assert cli("what-if", "--device", "board-64", "--ram", "84463", "--format", "json").output.count("kws-big") == 0
    best = cli("best", "board-64", "--task", "KeywordSpotting", "--metric", "Accuracy", "--format", "csv")
    assert best.output.splitlines()[1].startswith("kws-small@1,")
    assert cli("best", "board-64", "--task", "Juggling", "--metric", "Accuracy").exit_code == 2


def test_match_in_a_new_process_starts_from_the_last_ones_engine(tmp_path):
    """Two `tinyreg match` processes: the second reads the engine the first left on disk
    (its snapshot is used, so not written again), and after a write the next one refreshes
    it and answers with the new device."""
    from tinyreg.registry.compat import snapshot

    from ..conftest import run_tinyreg
    data = tmp_path / "d"
    registry = Registry(load_settings(environ={}, data_dir=str(data)))
    registry.init()
    registry.store.put_graphs({**{BOARD.format(64): _board(BOARD.format(64), 64 * 1024)},
                               **dict([_scored("kws-small", 40_000, "KeywordSpotting", "Accuracy", 0.9)])})
    registry.close()

    def match() -> list[str]:
        done = run_tinyreg("match", "--model", "kws-small", "--format", "json", data_dir=data)
        assert done.returncode == 0, done.stderr
        return [m["iri"] for m in json.loads(done.stdout)]

    assert match() == [BOARD.format(64)]
    written = (data / snapshot.FILE).stat()
    assert match() == [BOARD.format(64)]
    assert (data / snapshot.FILE).stat().st_ino == written.st_ino  # used, not rebuilt
    with Registry(load_settings(environ={}, data_dir=str(data))) as again:
        again.store.put_graph(BOARD.format(128), _board(BOARD.format(128), 128 * 1024))
    assert match() == [BOARD.format(128), BOARD.format(64)]
    refreshed = (data / snapshot.FILE).stat()
    assert refreshed.st_ino != written.st_ino  # kept for the process after
    assert match() == [BOARD.format(128), BOARD.format(64)]
    assert (data / snapshot.FILE).stat().st_ino == refreshed.st_ino
