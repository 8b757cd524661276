"""SPARQL and the compatibility engine give one answer: trf:fits, trf:runs and trf:why.

Every demo model version is asked about every device, in SPARQL (in process, `tinyreg query`'s
path and the public endpoint's) and of the engine, on each store; on a server the registry answers
from its copy of the server's graphs, which follows the change log.
"""
from __future__ import annotations

import pytest

from tinyreg.registry.compat import HEADROOM, check, devices_for_model, fleet_engine, models_for_device
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.examples import DEVICES_FOR_MODEL, EXAMPLES, MODELS_FOR_DEVICE, WHY_NOT
from tinyreg.registry.sparql_functions import FUNCTIONS, query, sparql_function
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import device_iri, prefixes, version_iri
from tinyreg.web.app import create_app
from tinyreg.web.sparql.runner import query_apart

from ..conftest import DATA, registry_from_seed

HEAD = prefixes("tr", "trf", "rdfs")
EVERY_PAIR = HEAD + """SELECT ?v ?d ?fits ?runs ?why WHERE {
  ?v a tr:ModelVersion . ?d a/rdfs:subClassOf* tr:Device .
  BIND(trf:fits(?v, ?d) AS ?fits) BIND(trf:runs(?v, ?d) AS ?runs) BIND(trf:why(?v, ?d) AS ?why)
}"""


@pytest.fixture(scope="module")
def demo(demo_seed, tmp_path_factory, module_store_settings):
    registry = registry_from_seed(demo_seed, tmp_path_factory.mktemp("functions") / "data",
                                  module_store_settings)
    yield registry
    registry.close()


def _engine_answers(registry):
    # The fleet engine's verdicts, which `check` answers from once the engine is built;
    # asked here without `check`'s revision read per pair (400 pairs, 7 s on Virtuoso).
    engine = fleet_engine(registry)
    out = {}
    for v in engine.fleet.models:
        for d in engine.fleet.devices:
            verdict = engine.verdict(engine.model(v), engine.device(d))
            out[v, d] = (verdict.fits, verdict.runs,
                         "; ".join(r.message for r in verdict.results if r.group != HEADROOM))
    return out


def test_every_demo_pair_answers_in_sparql_as_the_engine_does(demo):
    expected = _engine_answers(demo)
    assert len({v for v, _ in expected}) >= 7 and len({d for _, d in expected}) >= 51
    for ask in (query, query_apart):  # in this process; as `tinyreg query` runs it (a worker)
        rows = ask(demo, EVERY_PAIR).rows
        got = {(r["v"], r["d"]): (r["fits"], r["runs"], r["why"]) for r in rows}
        assert got == expected, ask
    # Both answers occur, and the runs-but-no-sensor case too, so the comparison means something.
    answers = set(got.values())
    assert {(True, True), (False, False), (False, True)} <= {a[:2] for a in answers}
    # The catalog's Alif kit states no usable RAM: no value, neither true nor false.
    assert (None, None) in {a[:2] for a in answers}


def test_the_example_queries_list_what_the_engine_lists(demo):
    engine = fleet_engine(demo)
    for version in engine.fleet.models:
        rows = query(demo, DEVICES_FOR_MODEL.sparql, {"model": IRI(version)}).rows
        assert {r["device"] for r in rows} == \
            {m.iri for m in devices_for_model(demo, version)}, version
        refused = query(demo, WHY_NOT.sparql, {"model": IRI(version)}).rows
        assert {r["device"] for r in refused} == \
            set(engine.fleet.devices) - {r["device"] for r in rows}
        assert all(r["why"] for r in refused)
    for device in engine.fleet.devices[:10]:
        rows = query(demo, MODELS_FOR_DEVICE.sparql, {"device": IRI(device)}).rows
        assert {r["model"] for r in rows} == {m.iri for m in models_for_device(demo, device)}
    # The case: Hybrid KWS is run by no device's TFLM, so it fits none.
    assert not query(demo, DEVICES_FOR_MODEL.sparql,
                          {"model": IRI(version_iri("hybrid-kws", 1))}).rows


def test_names_as_people_type_them_and_what_names_nothing(demo):
    ask = HEAD + "SELECT ?a ?b ?c ?d WHERE { BIND(trf:fits(?m, ?dev) AS ?a) " \
                 "BIND(trf:fits(<urn:nothing>, ?dev) AS ?b) BIND(trf:fits(?m) AS ?c) " \
                 "BIND(trf:why(\"no-such-model\", ?dev) AS ?d) }"
    row = query(demo, ask, {"m": "kws-micro@1", "dev": "arduino-nano-33-ble-sense-rev2"}).rows[0]
    assert row == {"a": True, "b": None, "c": None, "d": None}
    same = query(demo, ask, {"m": IRI(version_iri("kws-micro", 1)),
                            "dev": IRI(device_iri("arduino-nano-33-ble-sense-rev2"))}).rows[0]
    assert same == row


def test_the_public_endpoint_answers_the_functions(demo):
    app = create_app({"TESTING": True}, registry=demo)
    try:
        client = app.test_client()
        version = version_iri("kws-micro", 1)
        text = DEVICES_FOR_MODEL.sparql.replace("?model", f"<{version}>")
        response = client.post("/sparql", data={"query": text},
                               headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, response.data
        listed = {b["device"]["value"] for b in response.get_json()["results"]["bindings"]}
        assert listed == {m.iri for m in devices_for_model(demo, version)}
        # Every example runs on the endpoint with its variables bound as the SPARQL page binds them.
        for example in EXAMPLES:
            assert client.post("/sparql", data={"query": example.sparql}).status_code == 200
    finally:
        app.extensions["tinyreg.runner"].close()


def test_a_new_device_is_in_the_next_answer(demo):
    """The engine and, on a server, the registry's copy of its graphs follow each write."""
    version = version_iri("kws-micro", 1)
    before = {r["device"] for r in query(demo, DEVICES_FOR_MODEL.sparql, {"model": IRI(version)}).rows}
    added = add_device(demo, (DATA / "devices" / "td11-tinyml.jsonld").read_bytes(), "td11-tinyml.jsonld")
    after = {r["device"] for r in query(demo, DEVICES_FOR_MODEL.sparql, {"model": IRI(version)}).rows}
    [new] = added.devices
    assert after - before <= {new}
    assert after == {m.iri for m in devices_for_model(demo, version)}
    hybrid = version_iri("hybrid-kws", 1)  # fits nothing: there is always a reason
    why = query(demo, HEAD + "SELECT ?w WHERE { BIND(trf:why(?v, ?d) AS ?w) }",
                     {"v": IRI(hybrid), "d": IRI(new)}).rows[0]["w"]
    assert why == "; ".join(r.message for r in check(demo, hybrid, new).results if r.group != HEADROOM) != ""


@pytest.mark.stores("embedded")  # registering a function is the same on every store
def test_a_function_added_by_another_module_is_answered(demo):
    @sparql_function("answer_for_test", ("device",), "xsd:integer", "the device's index")
    def answer(calls, device):
        return calls.device(device)
    try:
        rows = query(demo, HEAD + "SELECT ?n WHERE { BIND(trf:answer_for_test(?d) AS ?n) }",
                          {"d": IRI(device_iri("arduino-nano-33-ble-sense-rev2"))}).rows
        engine = fleet_engine(demo)
        assert rows[0]["n"] == engine.device(device_iri("arduino-nano-33-ble-sense-rev2"))
        with pytest.raises(ValueError, match="defined twice"):
            sparql_function("answer_for_test", ("device",), "", "")(answer)
    finally:
        FUNCTIONS.pop("answer_for_test")
