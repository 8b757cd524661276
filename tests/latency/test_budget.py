"""Latency budgets in the shapes: a model card's budget, the LatencyFit constraint on real
boards of the catalog, pySHACL and the fleet engine on one figure, and the generated
calibration the shapes read."""
from __future__ import annotations

import json

import pytest
import rdflib
from rdflib.compare import isomorphic

from tinyreg.registry import compat, latency
from tinyreg.registry.compat.latency_fit import milliseconds
from tinyreg.registry.errors import Invalid
from tinyreg.registry.latency.rdf import CALIBRATION_FILE, calibration_turtle
from tinyreg.registry.latency.reference import reference_model
from tinyreg.registry.models.card import card_from_mapping
from tinyreg.registry.resources import ontology_dir

from .conftest import catalog_cli

BUDGET = "https://w3id.org/tinyreg/shapes#LatencyWithinBudget"
BAND = "https://w3id.org/tinyreg/shapes#LatencyBandOverBudget"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tmp_path_factory.mktemp("budget")


@pytest.fixture(scope="module")
def cli(data):
    """The command line on a catalog and one KWS model three times: a 20 ms inference
    period, a 100 ms budget, no budget. Its tests run before any that open `registry`
    (the embedded store takes one process at a time)."""
    run = catalog_cli(data)
    model = data / "kws-ds-cnn.tflite"
    for name, budget in (("kws-streaming", ("--inference-rate", "every 20 ms")),
                         ("kws-relaxed", ("--max-latency-ms", "100")), ("kws-free", ())):
        added = run("model", "add", model, "--name", name, "--task", "keyword-spotting",
                    "--dataset", "speech-commands", "--metric", "accuracy=0.9", *budget)
        assert added.exit_code == 0, added.output
    # A second version whose card states no budget keeps the first one's.
    autoencoder = data / "ad-autoencoder.tflite"
    autoencoder.write_bytes(reference_model("ad"))
    for args in ((autoencoder, "--name", "ad-period", "--inference-rate", "50 Hz"),
                 (model, "--version-of", "ad-period")):
        added = run("model", "add", *args)
        assert added.exit_code == 0, added.output
    return run


@pytest.fixture(scope="module")
def registry(cli, data):
    from tinyreg.registry import Registry, load_settings
    reg = Registry(load_settings(environ={}, data_dir=str(data / "registry")))
    yield reg
    reg.close()


def _latency_results(verdict):
    return [r for r in verdict.results if r.constraint in (BUDGET, BAND)]


def test_a_model_with_a_budget_is_refused_on_a_slow_board_with_the_estimate(cli):
    # KWS DS-CNN (2.66 M MACs) on a Raspberry Pi Pico: a 133 MHz Cortex-M0+ with TFLM's
    # reference kernels, estimated near 0.8 s: far over a 20 ms budget.
    estimated = cli("estimate", "kws-streaming", "raspberry-pi-pico", "--format", "json")
    assert estimated.exit_code == 0, estimated.output
    band = json.loads(estimated.output)["latency_ms"]
    result = cli("check", "kws-streaming", "raspberry-pi-pico", "--format", "json")
    assert result.exit_code == 1, result.output
    answer = json.loads(result.output)
    assert answer["fits"] is False
    refusal = [r for r in answer["results"] if r["constraint"] == BUDGET]
    assert len(refusal) == 1 and refusal[0]["severity"] == "violation"
    assert band["low"] > 20.0
    message = refusal[0]["message"]
    # The estimate command rounds to 4 significant figures; the explanation gives hundredths.
    assert refusal[0]["value"] == pytest.approx(band["estimate"], rel=1e-3)
    assert f"estimated {milliseconds(refusal[0]['value'])} ms per inference with TensorFlow Lite Micro (band " in message
    assert "uncalibrated); even the band's low end is over the model's budget of 20.00 ms" in message
    # The same pair in the text answer a person reads.
    text = cli("check", "kws-streaming", "raspberry-pi-pico")
    assert text.exit_code == 1 and "too slow: estimated " in text.output


def test_a_new_version_keeps_the_budget_its_card_leaves_out(cli):
    first = json.loads(cli("check", "ad-period@1", "st-nucleo-l4r5zi", "--format", "json").output)
    second = cli("check", "ad-period@2", "raspberry-pi-pico", "--format", "json")
    assert second.exit_code == 1
    refusal = [r for r in json.loads(second.output)["results"] if r["constraint"] == BUDGET]
    assert "budget of 20.00 ms" in refusal[0]["message"]
    assert not [r for r in first["results"] if r["constraint"] == BUDGET]


def test_match_lists_the_estimate_filters_and_sorts_by_it(cli):
    everything = json.loads(cli("match", "--model", "kws-free", "--format", "json").output)
    timed = [m for m in everything if "latency_ms" in m]
    assert len(timed) > 20 and {"estimate", "low", "high", "runtime_name", "calibrated"} <= set(timed[0]["latency_ms"])
    fastest = json.loads(cli("match", "--model", "kws-free", "--sort", "latency",
                             "--max-latency-ms", "30", "--format", "json").output)
    estimates = [m["latency_ms"]["estimate"] for m in fastest]
    assert estimates == sorted(estimates) and 0 < len(estimates) < len(timed)
    assert all(e <= 30 for e in estimates)
    assert {m["iri"] for m in fastest} == {m["iri"] for m in timed if m["latency_ms"]["estimate"] <= 30}
    table = cli("match", "--device", "raspberry-pi-pico")
    assert "latency_ms" in table.output.splitlines()[0] and "uncal." in table.output


def test_the_matrix_has_the_estimate_of_every_pair(cli):
    answer = json.loads(cli("matrix", "--format", "json").output)
    grid = {(m, d): answer["latency_ms"][i][j] for i, m in enumerate(answer["models"])
            for j, d in enumerate(answer["devices"])}
    pico = next(d for d in answer["devices"] if d.endswith("/raspberry-pi-pico"))
    streaming = next(m for m in answer["models"] if "/kws-streaming/" in m)
    assert 100 < grid[streaming, pico] < 5000
    # Every catalog board states a core, a clock and a runtime the calibration covers.
    assert len(grid) > 150 and all(v is not None and v > 0 for v in grid.values())


def test_best_filters_by_latency_on_the_device(cli):
    args = ("best", "st-nucleo-l4r5zi", "--task", "KeywordSpotting", "--metric", "Accuracy",
            "--format", "json")
    every = json.loads(cli(*args).output)
    assert {r["name"] for r in every} == {"kws-streaming v1", "kws-relaxed v1", "kws-free v1"} - {
        r["name"] for r in every if not r["fits"]}
    assert all(40 < r["latency_ms"]["estimate"] < 60 for r in every)
    assert json.loads(cli(*args, "--max-latency-ms", "10").output) == []
    assert len(json.loads(cli(*args, "--max-latency-ms", "60").output)) == len(every)


def test_the_figure_in_the_explanation_is_the_estimate(registry):
    version = compat.resolve_model(registry, "kws-streaming")
    board = compat.resolve_device(registry, "raspberry-pi-pico")
    band = latency.estimate(latency.model_facts(registry, version),
                            latency.device_facts(registry, board)).latency_ms
    [refusal] = [r for r in compat.check(registry, version, board).results if r.constraint == BUDGET]
    assert refusal.value == band.estimate  # the same double, not a close one
    assert (f"estimated {milliseconds(band.estimate)} ms per inference with TensorFlow Lite "
            f"Micro (band {milliseconds(band.low)}-{milliseconds(band.high)} ms, uncalibrated)") in refusal.message


def test_pyshacl_and_the_engine_give_the_same_latency_results(registry):
    for model in ("kws-streaming", "kws-relaxed", "kws-free"):
        version = compat.resolve_model(registry, model)
        for device in ("raspberry-pi-pico", "st-nucleo-l4r5zi", "arduino-nano-33-ble-sense"):
            board = compat.resolve_device(registry, device)
            ours, theirs = compat.check(registry, version, board), compat.check_shacl(registry, version, board)
            key = lambda v: [(r.severity, r.constraint, r.message, r.value) for r in _latency_results(v)]
            assert key(ours) == key(theirs), (model, device)
            assert ours.fits == theirs.fits


def test_a_band_straddling_the_budget_warns_and_fits(registry):
    # NUCLEO-L4R5ZI (120 MHz Cortex-M4) with TFLM: about 51 ms, a band of roughly 8-310 ms,
    # which a 100 ms budget falls inside.
    verdict = compat.check(registry, compat.resolve_model(registry, "kws-relaxed"),
                           compat.resolve_device(registry, "st-nucleo-l4r5zi"))
    results = _latency_results(verdict)
    assert verdict.fits and [r.constraint for r in results] == [BAND]
    assert results[0].severity.endswith("Warning") and "budget of 100.00 ms" in results[0].message
    assert results[0].figures["low_ms"] <= 100.0 < results[0].figures["high_ms"]


def test_no_budget_no_latency_result(registry):
    verdict = compat.check(registry, compat.resolve_model(registry, "kws-free"),
                           compat.resolve_device(registry, "raspberry-pi-pico"))
    assert _latency_results(verdict) == []


def test_a_registered_model_carries_its_work_by_operator_kind(registry):
    version = compat.resolve_model(registry, "kws-free")
    rows = registry.store.select(
        "PREFIX tr: <https://w3id.org/tinyreg/ontology#> SELECT ?c ?d ?f ?e WHERE { GRAPH ?v { "
        "?v tr:convMacs ?c ; tr:depthwiseMacs ?d ; tr:fullyConnectedMacs ?f ; tr:elementOperations ?e } }",
        {"v": rdflib.URIRef(version)})
    workload = latency.model_facts(registry, version).workload
    assert [(int(r["c"]), int(r["d"]), int(r["f"])) for r in rows] == [
        (workload.macs["conv"], workload.macs["depthwise"], workload.macs["fully_connected"])]
    assert sum(int(rows[0][k]) for k in "cdf") == 2_656_768


@pytest.mark.parametrize("card, budget", [
    ({"max_latency_ms": 50}, 50.0), ({"max_latency_ms": "12.5"}, 12.5),
    ({"inference_rate": "every 20 ms"}, 20.0), ({"inference_rate": "50 Hz"}, 20.0),
    ({"inference_rate": "0.5 s"}, 500.0), ({"inference_rate": "every 20 ms", "max_latency_ms": 15}, 15.0),
    ({}, None)])
def test_the_card_states_a_budget_or_a_rate(card, budget):
    assert card_from_mapping({"name": "m", **card}).max_latency_ms == budget


@pytest.mark.parametrize("card, message", [
    ({"max_latency_ms": "soon"}, "max_latency_ms is not a number"),
    ({"max_latency_ms": 0}, "more than 0"), ({"max_latency_ms": -3}, "more than 0"),
    ({"max_latency_ms": 1e12}, "at most an hour"),
    ({"inference_rate": "often"}, "is not a rate"), ({"inference_rate": "0 Hz"}, "more than 0"),
])
def test_a_bad_budget_is_refused_with_its_reason(card, message):
    with pytest.raises(Invalid, match=message):
        card_from_mapping({"name": "m", **card})


def test_the_shipped_calibration_graph_is_the_fitted_factors():
    shipped = rdflib.Graph().parse(ontology_dir() / CALIBRATION_FILE, format="turtle")
    generated = rdflib.Graph().parse(data=calibration_turtle(), format="turtle")
    assert isomorphic(shipped, generated), "run python -m tinyreg.registry.latency.rdf --write"
    # Every core the importers name with every runtime of the ontology.
    assert len(list(shipped.subjects(rdflib.RDF.type, rdflib.URIRef(
        "https://w3id.org/tinyreg/ontology#LatencyCalibration")))) == 17 * 7


@pytest.mark.parametrize("x, text", [(0.004, "0.00"), (0.005, "0.01"), (802.9169691169955, "802.92"),
                                     (4869.763851301786, "4869.76"), (99999999.999, "100000000.00")])
def test_milliseconds_as_the_shapes_write_them(x, text):
    assert milliseconds(x) == text


def test_the_api_and_the_pages_carry_the_estimate(registry):
    from tinyreg.web.app import create_app
    client = create_app({"TESTING": True}, registry=registry).test_client()
    check = client.get("/api/compat/check?model=kws-streaming&device=raspberry-pi-pico").get_json()
    assert check["fits"] is False and check["latency_ms"]["low"] > 20
    listed = client.get("/api/models/kws-free@1/devices?sort=latency&max_latency_ms=30").get_json()
    estimates = [row["latency_ms"]["estimate"] for row in listed["items"]]
    assert estimates and estimates == sorted(estimates) and max(estimates) <= 30
    bad = client.get("/api/models/kws-free@1/devices?max_latency_ms=soon")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert "max_latency_ms" in bad.get_json()["detail"]
    assert client.get("/api/devices/raspberry-pi-pico/models?sort=fastest").status_code == 400
    grid = client.get("/api/compat/matrix?models=kws-free@1&devices=raspberry-pi-pico,"
                      "st-nucleo-l4r5zi").get_json()
    pico = grid["latency_ms"][0][grid["devices"].index(compat.resolve_device(registry, "raspberry-pi-pico"))]
    assert 100 < pico < 5000
    page = client.get("/models/kws-streaming@1").get_data(as_text=True)
    assert "Latency (est.)" in page and "latency budget" in page and "uncalibrated" in page
    assert "; estimated " in client.get("/compat").get_data(as_text=True)
    pair = client.get("/compat/explain?model=kws-streaming&device=raspberry-pi-pico").get_data(as_text=True)
    assert "estimated latency with TensorFlow Lite Micro" in pair and "budget 20 ms" in pair


def test_sparql_asks_the_latency_as_the_engine_computes_it(registry):
    from tinyreg.registry.sparql_functions import query
    from tinyreg.registry.vocab import prefixes
    ask = prefixes("trf") + """SELECT ?estimate ?low ?high ?nothing WHERE {
      BIND(trf:latency(?m, ?d) AS ?estimate) BIND(trf:latencyLow(?m, ?d) AS ?low)
      BIND(trf:latencyHigh(?m, ?d) AS ?high) BIND(trf:latency(?m, "no-such-board") AS ?nothing) }"""
    row = query(registry, ask, {"m": "kws-free@1", "d": "raspberry-pi-pico"}).rows[0]
    band = latency.estimate(latency.model_facts(registry, compat.resolve_model(registry, "kws-free")),
                            latency.device_facts(registry, compat.resolve_device(
                                registry, "raspberry-pi-pico"))).latency_ms
    assert [float(row[k]) for k in ("estimate", "low", "high")] == [band.estimate, band.low, band.high]
    assert row["nothing"] is None
