"""The JSON API with Flask's test client: lists, entities, uploads, compatibility, errors."""
from __future__ import annotations

import copy
import hashlib
import io

import pytest
import rdflib

from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import TR, device_iri

from .conftest import TOKEN, make_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def test_device_list_pages_and_filters(client):
    first = client.get("/api/devices", query_string={"limit": 5})
    body = first.get_json()
    assert body["total"] == int(first.headers["X-Total-Count"]) >= 50
    assert len(body["items"]) == 5 and body["offset"] == 0
    second = client.get("/api/devices", query_string={"limit": 5, "offset": 5}).get_json()
    assert {d["id"] for d in second["items"]}.isdisjoint(d["id"] for d in body["items"])
    big = client.get("/api/devices", query_string={"min_ram": 1_000_000, "limit": 1000}).get_json()
    assert big["items"] and all(d["ram"] >= 1_000_000 for d in big["items"])
    nano = client.get("/api/devices", query_string={"q": "nano 33 ble sense rev2"}).get_json()
    assert [d["id"] for d in nano["items"]] == ["arduino-nano-33-ble-sense-rev2"]


def test_device_as_json_and_as_rdf(client):
    view = client.get("/api/devices/arduino-nano-33-ble-sense").get_json()
    # usable flash: the Arduino bootloader keeps 64 KiB of the 1 MiB
    assert (view["ram"], view["flash"], view["core"]) == (262144, 983040, "CortexM4F")
    assert any("PDMMicrophone" in s["kinds"] for s in view["sensors"])
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = client.get("/api/devices/arduino-nano-33-ble-sense", headers={"Accept": accept})
        assert response.mimetype == accept
        graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format=fmt)
        assert (rdflib.URIRef(device_iri("arduino-nano-33-ble-sense")), TR.usableRamBytes,
                rdflib.Literal(262144)) in graph


def test_model_list_and_version(client):
    models = client.get("/api/models", query_string={"task": "KeywordSpotting"}).get_json()
    assert [m["id"] for m in models["items"]] == ["kws-tiny"]
    version = client.get("/api/models/kws-tiny@1").get_json()
    assert version["arena_method"] == "TFLMRecordingAllocator" and version["arena_bytes"] > 0
    assert {o["operator"] for o in version["operators"]} >= {"CONV_2D"}
    assert version["sensors"] == ["Microphone"]
    assert sum(r["bytes"] for r in version["arena_breakdown"]) > 0
    turtle = client.get("/api/models/kws-tiny", query_string={"format": "turtle"})
    assert turtle.mimetype == "text/turtle" and b"tr:arenaBytes" in turtle.data


def test_compatibility_questions_explain_misfits(client):
    answer = client.get("/api/models/kws-tiny/devices", query_string={
        "explain": "1", "limit": 1000}).get_json()
    fits = [r for r in answer["items"] if r["fits"]]
    misfits = [r for r in answer["items"] if not r["fits"]]
    assert answer["fitting"] == len(fits) and fits and misfits
    assert "arduino-nano-33-ble-sense" in {r["id"] for r in fits}
    assert all(r["results"] and r["reason"] for r in misfits)
    # A board without a microphone is ruled out by the sensor constraint, and says so.
    nucleo = next(r for r in misfits if r["id"] == "st-nucleo-l4r5zi")
    assert "microphone" in nucleo["reason"]
    check = client.get("/api/compat/check", query_string={
        "model": "kws-tiny", "device": "st-nucleo-l4r5zi"}).get_json()
    assert check["fits"] is False and check["results"][0]["message"] == nucleo["reason"]
    back = client.get("/api/devices/arduino-nano-33-ble-sense/models").get_json()
    assert [r["id"] for r in back["items"]] == ["kws-tiny@1"]
    grid = client.get("/api/compat/matrix", query_string={
        "models": "kws-tiny@1", "devices": "arduino-nano-33-ble-sense,st-nucleo-l4r5zi"}).get_json()
    assert grid["fits"] == [[True, False]] and grid["models"] == [answer["model"]]
    best = client.get("/api/compat/best", query_string={
        "device": "arduino-nano-33-ble-sense", "task": "KeywordSpotting",
        "metric": "Accuracy"}).get_json()
    assert [(r["id"], r["value"]) for r in best["items"]] == [("kws-tiny@1", 0.9)]


def test_answers_say_runs_and_fits_apart_with_headroom_and_unknowns(client):
    check = client.get("/api/compat/check", query_string={
        "model": "kws-tiny", "device": "st-nucleo-l4r5zi"}).get_json()
    assert (check["runs"], check["fits"], check["unknown"]) == (True, False, [])
    ram = check["headroom"]["RAM"]
    assert ram["difference"] == ram["available"] - ram["needed"] > 0
    assert ram["needed"] == sum(item["bytes"] for item in ram["items"])
    # The Alif kit states totals only: unknown, with what is missing, neither yes nor no.
    alif = client.get("/api/compat/check", query_string={
        "model": "kws-tiny", "device": "alif-ensemble-e7-appkit"}).get_json()
    assert alif["runs"] is None and alif["unknown"] and all(
        m.startswith("unknown: usable") for m in alif["unknown"])
    # Asked for runs, the boards without a microphone count too.
    fitting = client.get("/api/models/kws-tiny/devices", query_string={"limit": 1000}).get_json()
    running = client.get("/api/models/kws-tiny/devices", query_string={
        "limit": 1000, "runs_only": "1"}).get_json()
    assert running["fitting"] == len(running["items"]) > fitting["fitting"]
    assert "st-nucleo-l4r5zi" in {r["id"] for r in running["items"]}
    assert all(r["runs"] for r in running["items"])
    grid = client.get("/api/compat/matrix", query_string={
        "models": "kws-tiny@1", "devices": "st-nucleo-l4r5zi,alif-ensemble-e7-appkit"}).get_json()
    assert grid["runs"] == [[True, None]] and grid["fits"] == [[False, None]]


def test_compatibility_pages_explain_only_what_they_show(client):
    fitting = client.get("/api/models/kws-tiny/devices", query_string={"limit": 1000}).get_json()
    assert fitting["total"] == fitting["fitting"] == len(fitting["items"])
    assert all(r["fits"] and "results" not in r for r in fitting["items"])
    misfits = client.get("/api/models/kws-tiny/devices", query_string={
        "explain": "1", "offset": fitting["fitting"], "limit": 3}).get_json()
    assert misfits["total"] == client.get("/api/stats").get_json()["devices"]
    assert len(misfits["items"]) == 3
    assert all(not r["fits"] and r["results"] for r in misfits["items"])


def test_what_if_names_the_pairs_a_change_wins_or_loses(client):
    bigger = client.get("/api/models/kws-tiny@1/what-if", query_string={
        "arena_delta": 300_000, "explain": "1"}).get_json()
    assert bigger["gained_count"] == 0 and bigger["lost_count"] == len(bigger["lost"]) > 0
    nano = next(r for r in bigger["lost"] if r["id"] == "arduino-nano-33-ble-sense")
    assert "arena" in nano["reason"].lower() or "RAM" in nano["reason"]
    smaller = client.get("/api/devices/arduino-nano-33-ble-sense/what-if", query_string={
        "ram_delta": -262_000}).get_json()
    assert [r["id"] for r in smaller["lost"]] == ["kws-tiny@1"] and smaller["gained"] == []


def test_uploads_need_the_token(loaded):
    closed = make_app(loaded, write_token="").test_client()
    refused = closed.post("/api/models", data={"file": (io.BytesIO(b"x"), "m.tflite")})
    assert refused.status_code == 403 and "write_token" in refused.get_json()["detail"]
    client = make_app(loaded).test_client()
    assert client.post("/api/models", data={"file": (io.BytesIO(b"x"), "m.tflite")}
                       ).status_code == 401
    assert client.post("/api/devices", data=b"{}", headers={"Authorization": "Bearer nope"}
                       ).status_code == 401


def test_model_upload_measures_and_registers(loaded):
    client = make_app(loaded).test_client()
    data = {"file": (io.BytesIO(writer.fully_connected(inputs=64, units=4)), "wand.tflite"),
            "task": "gesture", "sensors": "accelerometer",
            "metrics": '[{"metric": "accuracy", "value": 0.93}]'}
    response = client.post("/api/models", data=data, headers=AUTH)
    assert response.status_code == 201, response.data
    body = response.get_json()
    assert body["model"] == "wand" and body["version"] == 1
    shown = client.get(response.headers["Location"]).get_json()
    assert shown["task"] == "gesture" and shown["arena_bytes"] > 0
    again = client.post("/api/models", headers=AUTH, data={
        "file": (io.BytesIO(writer.fully_connected(inputs=64, units=4)), "wand.tflite")})
    assert again.status_code == 200 and again.get_json()["created"] is False


def test_device_upload_from_a_thing_description(loaded):
    from ..conftest import DATA
    client = make_app(loaded).test_client()
    td = (DATA / "devices" / "td11-tinyml.jsonld").read_bytes()
    response = client.post("/api/devices", headers=AUTH,
                           data={"file": (io.BytesIO(td), "td11-tinyml.jsonld")})
    assert response.status_code == 201, response.data
    location = response.headers["Location"]
    assert client.get(location).status_code == 200


@pytest.mark.parametrize("method, url, kwargs, status", [
    ("GET", "/api/devices/no-such-board", {}, 404),
    ("GET", "/api/devices/!!", {}, 404),
    ("GET", "/api/models/no-such-model", {}, 404),
    ("GET", "/api/models/kws-tiny@x", {}, 400),
    ("GET", "/api/models/no-such-model/file", {}, 404),
    ("GET", "/api/models/kws-tiny@9/file", {}, 404),
    ("GET", "/api/devices?limit=0", {}, 400),
    ("GET", "/api/devices?offset=-1", {}, 400),
    ("GET", "/api/devices?min_ram=lots", {}, 400),
    ("GET", "/api/devices/arduino-nano-33-ble-sense?format=pdf", {}, 400),
    ("GET", "/api/devices/arduino-nano-33-ble-sense", {"headers": {"Accept": "image/png"}}, 406),
    ("GET", "/api/compat/check?model=kws-tiny", {}, 400),
    ("GET", "/api/compat/check?model=kws-tiny&device=http://x/%F3%B3%A0%9E", {}, 400),
    ("GET", "/api/compat/matrix?models=kws-tiny@1@2", {}, 400),
    ("GET", "/api/compat/matrix?devices=no-such-board", {}, 404),
    ("GET", "/api/devices/%16/models", {}, 404),
    ("GET", "/api/models/kws-tiny/what-if?ram_delta=5", {}, 400),
    ("GET", "/api/models/kws-tiny/what-if?arena_delta=lots", {}, 400),
    ("GET", "/api/compat/best?device=arduino-nano-33-ble-sense&task=Nope&metric=Accuracy", {}, 400),
    ("POST", "/api/models", {"headers": AUTH, "data": {"file": (io.BytesIO(b"not a model"), "x.tflite")}}, 400),
    ("POST", "/api/models", {"headers": AUTH, "data": {"nofile": "1"}}, 400),
    ("POST", "/api/models", {"headers": AUTH, "data": {
        "file": (io.BytesIO(b"x"), "x.tflite"), "metrics": "[not json"}}, 400),
    ("POST", "/api/devices", {"headers": AUTH, "data": {"file": (io.BytesIO(b"{]"), "d.json")}}, 400),
    ("DELETE", "/api/models", {}, 405),
    ("GET", "/api/nothing-here", {}, 404),
])
def test_errors_are_one_problem_shape(client, method, url, kwargs, status):
    kwargs = copy.deepcopy(kwargs)  # the upload streams are read once, and this runs per store
    response = client.open(url, method=method, **kwargs)
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert set(problem) >= PROBLEM_KEYS
    assert problem["status"] == status and problem["instance"] == url.split("?")[0]
    assert problem["type"].startswith("https://w3id.org/tinyreg/problems/")
    assert problem["detail"] and "Traceback" not in problem["detail"]


def test_too_large_upload_is_413(loaded):
    client = make_app(loaded, max_model_bytes=1024).test_client()
    response = client.post("/api/models", headers=AUTH, data={
        "file": (io.BytesIO(b"\0" * 2_000_000), "big.tflite")})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_ontology_and_shapes_by_content_negotiation(client):
    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (TR.ModelVersion, rdflib.RDF.type, rdflib.OWL.Class) in graph
    jsonld = client.get("/ontology", headers={"Accept": "application/ld+json"})
    assert len(rdflib.Graph().parse(data=jsonld.get_data(as_text=True), format="json-ld")) == len(graph)
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="ModelVersion"' in html and "One concrete model, one .tflite file" in html
    shapes = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert shapes.status_code == 200
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, rdflib.RDF.type, sh.NodeShape) in rdflib.Graph().parse(
        data=shapes.get_data(as_text=True), format="turtle")


def test_lists_sort_by_a_column_both_ways_and_refuse_an_unknown_one(client):
    up = client.get("/api/devices?sort=ram&limit=1000").get_json()["items"]
    rams = [d["ram"] for d in up if d["ram"] is not None]
    assert len(rams) > 10 and rams == sorted(rams) and rams[0] < rams[-1]
    down = client.get("/api/devices?sort=-ram&limit=1000").get_json()["items"]
    assert [d["ram"] for d in down if d["ram"] is not None] == rams[::-1]
    names = [d["name"].lower() for d in client.get("/api/devices?sort=name&limit=1000").get_json()["items"]]
    assert names == sorted(names)
    bad = client.get("/api/devices?sort=colour")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert "`sort` must be one of name, kind" in bad.get_json()["detail"]
    assert client.get("/api/models?sort=-versions").status_code == 200


def test_a_model_version_downloads_as_the_bytes_the_registry_holds(loaded, client):
    version = client.get("/api/models/kws-tiny@1").get_json()
    for ref in ("kws-tiny", "kws-tiny@1", version["iri"]):
        got = client.get(f"/api/models/{ref}/file")  # no token: a read like any other GET
        assert got.status_code == 200, got.data
        assert got.mimetype == "application/octet-stream"
        assert got.headers["Content-Disposition"] == 'attachment; filename="kws-tiny-v1.tflite"'
        assert hashlib.sha256(got.data).hexdigest() == version["sha256"]
        assert len(got.data) == version["file_bytes"]
        assert got.headers["ETag"] == f'"{version["sha256"]}"'
    again = client.get("/api/models/kws-tiny/file", headers={"If-None-Match": f'"{version["sha256"]}"'})
    assert again.status_code == 304 and not again.data


def test_a_model_file_whose_bytes_rotted_is_not_served(loaded, client):
    sha = client.get("/api/models/kws-tiny@1").get_json()["sha256"]
    path = loaded.artifacts_path / sha[:2] / sha
    kept = path.read_bytes()
    try:
        path.write_bytes(kept[:-1] + bytes([kept[-1] ^ 1]))
        got = client.get("/api/models/kws-tiny/file")
        assert got.status_code == 404 and got.mimetype == "application/problem+json"
        assert "damaged" in got.get_json()["detail"]
    finally:
        path.write_bytes(kept)


def test_device_facets_count_what_each_value_would_keep(client):
    """Every value of every facet, under a filter: asking for it lists as many devices as
    the facet counted (list-valued facts, e.g. sensors, count a device under each value)."""
    names = ["kind", "core", "vendor", "sensor", "runtime", "connectivity", "format", "fits"]
    base = {"kind": "MicrocontrollerBoard", "min_ram": "65536"}
    answer = client.get("/api/devices", query_string={**base, "_facet": ["sensor,vendor", *names]}).get_json()
    assert set(answer["facets"]) == set(names)
    assert answer["facets"]["kind"]["values"] == [{"value": "MicrocontrollerBoard", "count": answer["total"]}]
    fits = {v["value"]: v for v in answer["facets"]["fits"]["values"]}
    assert fits["kws-tiny@1"]["label"] == "KWS tiny"
    fitting = {m["id"] for m in client.get("/api/models/kws-tiny/devices?limit=1000").get_json()["items"]}
    checked = 0
    for name, facet in answer["facets"].items():
        assert facet["more"] == 0 and facet["values"]
        for value in facet["values"]:
            narrowed = client.get("/api/devices", query_string={**base, name: value["value"],
                                                                 "limit": 1000}).get_json()
            assert narrowed["total"] == value["count"] > 0, (name, value)
            if value["value"] == "kws-tiny@1":
                assert {d["id"] for d in narrowed["items"]} <= fitting
            checked += 1
    assert checked > 20
    sensors = client.get("/api/devices", query_string={"sensor": "microphone", "limit": 1000}).get_json()
    for d in sensors["items"][:5]:
        described = client.get(f"/api/devices/{d['id']}").get_json()["sensors"]
        assert any("Microphone" in s["kinds"] for s in described), d
    assert 0 < sensors["total"] < client.get("/api/devices").get_json()["total"]


def test_model_facets_and_an_unknown_facet(client):
    answer = client.get("/api/models?_facet=task").get_json()
    tasks = answer["facets"]["task"]["values"]
    assert tasks and {"value": "keyword-spotting", "count": client.get(
        "/api/models?task=keyword-spotting").get_json()["total"]} in tasks
    assert sum(t["count"] for t in tasks) == sum(1 for m in answer["items"] if m["task"])
    assert "facets" not in client.get("/api/models").get_json()
    bad = client.get("/api/devices?_facet=colour")
    assert bad.status_code == 400 and "`_facet` must name some of kind, core" in bad.get_json()["detail"]
