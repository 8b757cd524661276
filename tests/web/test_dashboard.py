"""The dashboard's pages through Flask's test client: each renders what its API twin says."""
from __future__ import annotations

import html as html_lib
import io
import re
from collections import Counter

import pytest

from tinyreg.registry.tflite import writer
from tinyreg.web.dashboard.charts import bar_chart, size_buckets

from .conftest import TOKEN, make_app

# The pages render what the API answers, and the API's tests run on both stores.
pytestmark = pytest.mark.stores("embedded")


def page(client, url, status=200):
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_overview_counts_and_charts(client):
    stats = client.get("/api/stats").get_json()
    html = page(client, "/")
    assert f"<b>{stats['devices']}</b>devices" in html
    assert html.count('class="bars"') >= 3 and "Devices by core" in html and "Cortex-M4F" in html


def test_no_page_loads_anything_from_another_host(client):
    for url in ("/", "/models", "/devices", "/compat", "/deployments", "/query", "/upload", "/ontology"):
        html = page(client, url)
        assert not re.search(r'(src|href)="(https?:)?//', html.split("<main>")[0]), url


def test_the_arena_chart_adds_up_to_the_measured_arena(client):
    version = client.get("/api/models/kws-tiny").get_json()
    html = page(client, "/models/kws-tiny")
    chart = re.search(r'aria-label="Bytes by allocation">(.*?)</div>\s*</figure>', html, re.S).group(1)
    bars = dict(re.findall(r'<span class="label">([^<]+)</span>.*?<span class="value">(\d+) B</span>', chart, re.S))
    persistent = sum(r["bytes"] for r in version["arena_breakdown"])
    assert 0 < persistent < version["measured_arena_bytes"]
    rest = int(bars.pop("Non-persistent: tensor buffers (planned), padding"))
    assert rest == version["measured_arena_bytes"] - persistent
    assert sum(map(int, bars.values())) == persistent


def test_model_page_lists_devices_with_reasons(client):
    html = page(client, "/models/kws-tiny")
    assert "CONV_2D" in html and "TFLMRecordingAllocator" in html
    assert "Bytes by allocation" in html  # the arena breakdown chart
    fitting = client.get("/api/models/kws-tiny/devices").get_json()["fitting"]
    assert f"{fitting} of " in html
    row = re.search(r'<tr class="misfit">.*?NUCLEO-L4R5ZI.*?</tr>', html, re.S).group(0)
    assert "microphone" in row
    link = re.search(r'<a class="download" id="download" href="([^"]+)" download>', html).group(1)
    got = client.get(html_lib.unescape(link))
    assert got.status_code == 200 and got.headers["ETag"].strip('"') in html


def test_lists_search_and_filter(client):
    html = page(client, "/devices?q=nicla&kind=MicrocontrollerBoard")
    assert "Arduino Nicla Vision" in html and "Arduino Nano 33 BLE Sense" not in html
    assert "KWS tiny" in page(client, "/models?q=kws")
    assert "No model matches" in page(client, "/models?task=Regression")


def test_list_pages_show_facets_with_counts_that_keep_the_filters(client):
    html = page(client, "/devices?q=arduino&sort=name")
    vendor = re.search(r'<div class="facet" data-facet="vendor">.*?</div>', html, re.S).group(0)
    arduino = client.get("/api/devices?q=arduino&vendor=Arduino").get_json()["total"]
    link = re.search(r'<a href="([^"]+)" data-value="Arduino"[^>]*>Arduino</a> <span class="n">(\d+)</span>', vendor)
    assert int(link.group(2)) == arduino > 0
    assert all(part in html_lib.unescape(link.group(1)) for part in ("q=arduino", "sort=name", "vendor=Arduino"))
    assert 'data-value="STMicroelectronics"' in page(client, "/devices")  # a name, kept as written
    models = page(client, "/models")
    assert re.search(r'data-facet="task">.*?data-value="keyword-spotting"[^>]*>keyword-spotting</a> '
                     r'<span class="n">1</span>', models, re.S)


def test_device_page_shows_hardware_and_models(client):
    html = page(client, "/devices/arduino-nano-33-ble-sense")
    for text in ("256 KiB", "960 KiB", "Cortex-M4F", "nRF52840", "PDM microphone", "TFLM"):
        assert text in html, text
    models = re.search(r'<section class="card" id="compatible">.*?</section>', html, re.S).group(0)
    answer = client.get("/api/devices/arduino-nano-33-ble-sense/models?explain=1").get_json()
    assert f"{answer['fitting']} of {answer['total']} model versions fit it." in models
    assert re.search(r'<tr class="fit"><td><a href="/models/kws-tiny@1">KWS tiny v1</a>', models)


def test_heatmap_over_a_selection_links_each_cell_to_its_explanation(client):
    html = page(client, "/compat?q=nucleo&task=KeywordSpotting")
    rows = re.findall(r'<tr><th><a [^>]*title="([^"]+)">([^<]+)</a></th>', html)
    assert rows == [("kws-tiny@1", "KWS tiny v1")]  # the model's name, its reference on hover
    cells = re.findall(r'<td class="(fit|tight|runs|unknown|misfit)"><a href="([^"]+)" title="([^"]+)"', html)
    nucleos = [d for d in client.get("/api/devices", query_string={"q": "nucleo"}).get_json()["items"]]
    # It runs on every Nucleo, none of which has a microphone: runs, does not fit.
    assert len(cells) == len(nucleos) and {c for c, _, _ in cells} == {"runs"}
    # Each cell's hover says what rules it out, as the engine's results say it.
    for _, href, title in cells:
        device = re.search(r"device=([^&\"]+)", href).group(1)
        verdict = client.get("/api/compat/check", query_string={"model": "kws-tiny@1", "device": device}).get_json()
        first = next(r for r in verdict["results"] if r["severity"] == "violation")
        assert f"does not fit as it is: {first['message']}" in html_lib.unescape(title), title
    explained = page(client, cells[0][1].replace("&amp;", "&"))
    assert "It runs, but the device lacks a sensor it needs." in explained and "microphone" in explained
    assert "runs: yes · fits: no" in explained
    # the tiles state the headroom the reasons state
    assert re.search(r"<b>[\d,]+ B</b>RAM needed: [\d,]+ B tensor arena", explained)
    assert "No model version or no device matches" in page(client, "/compat?mq=no-such-model")


def test_an_unknown_pair_says_what_is_missing(client):
    html = page(client, "/compat/explain?model=kws-tiny&device=alif-ensemble-e7-appkit")
    assert "Unknown whether it fits: usable" in html and "unknown: unknown" not in html
    assert "runs: unknown" in html


def test_headroom_bars_are_not_chart_rows(client):
    """A device page's used-of-available bars have a class of their own: the stylesheet's
    .bar is a chart's row (display: contents), which a second .bar rule would undo."""
    html = page(client, "/devices/arduino-nano-33-ble-sense")
    assert re.search(r'<span class="usage( over)?" role="img" aria-label="[^"]+ of [^"]+"', html)
    css = client.get("/static/tinyreg.css").get_data(as_text=True)
    assert len(re.findall(r"^\.bar \{", css, re.M)) == 1


def test_query_page_offers_the_examples_bound_to_real_entities(client):
    html = page(client, "/query")
    examples = re.findall(r'<template id="example-([a-z-]+)">(.*?)</template>', html, re.S)
    assert [key for key, _ in examples] == ["devices-for-model", "models-for-device",
                                           "best-model-for-task", "why-not"]
    assert all("trf:fits(" in html_lib.unescape(text) for _, text in examples)
    # The functions the examples call are listed on the page, each with what it answers.
    for name in ("fits", "runs", "why"):
        assert f"trf:{name}(?version, ?device)" in html
    for _, text in examples:
        response = client.post("/sparql", data={"query": html_lib.unescape(text)})
        assert response.status_code == 200, response.data
    rows = client.post("/sparql", data={"query": html_lib.unescape(examples[0][1])}
                       ).get_json()["results"]["bindings"]
    assert any(r["device"]["value"].endswith("/arduino-nano-33-ble-sense") for r in rows)


def test_upload_form_registers_a_model_and_refuses_a_wrong_token(loaded):
    client = make_app(loaded).test_client()
    form = {"kind": "model", "token": "wrong", "name": "Upload form model",
            "file": (io.BytesIO(writer.fully_connected(inputs=24, units=3)), "f.tflite")}
    refused = client.post("/upload", data=form)
    assert refused.status_code == 401 and "write token is not correct" in refused.get_data(as_text=True)
    form.update(token=TOKEN, file=(io.BytesIO(writer.fully_connected(inputs=24, units=3)), "f.tflite"))
    done = client.post("/upload", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith("/models/upload-form-model@1")


@pytest.mark.parametrize("name, text, status, said", [
    ("catalog.yaml", "boards: [1]\n", 400, "catalog.yaml: catalog board #1 is a number (1), not a mapping"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, 400, "deep.json: invalid JSON: nested more than 64"),
    ("eye.ttl", '<http://x.example/esp-eye> a <http://w3id.org/s3n/SmartSensor> ; '
                '<http://schema.org/name> "X" .', 409,
     "eye.ttl: http://x.example/esp-eye would be device esp-eye, which is already the device "
     "of urn:tinyreg:catalog:esp-eye"),
])
def test_upload_form_refuses_a_hostile_device_file_with_its_reason(loaded, name, text, status, said):
    client = make_app(loaded).test_client()
    answer = client.post("/upload", data={"kind": "device", "token": TOKEN,
                                          "file": (io.BytesIO(text.encode()), name)})
    assert answer.status_code == status and answer.mimetype == "text/html"
    assert html_lib.escape(said, quote=True) in answer.get_data(as_text=True)


def test_unknown_page_is_an_html_error_page(client):
    html = page(client, "/devices/no-such-board", status=404)
    assert "no device no-such-board" in html and "<title>Not found" in html


def test_ram_chart_shows_every_bin_and_counts_every_device(client):
    html = page(client, "/")
    chart = re.search(r'aria-label="Devices by RAM">(.*?)</div>\s*</figure>', html, re.S).group(1)
    counts = [int(n) for n in re.findall(r'<span class="value">(\d+)</span>', chart)]
    devices = client.get("/api/devices", query_string={"limit": 1000}).get_json()["items"]
    assert counts == [item[1] for item in size_buckets(Counter(d["ram"] for d in devices))]
    assert sum(counts) == client.get("/api/stats").get_json()["devices"]
    # a scale's bins are all shown, even beyond the number of bars a ranked chart keeps
    assert len(bar_chart("RAM", size_buckets({2 ** k: 1 for k in range(10, 40)}), ordered=True).bars) > 12


def test_each_chart_bar_links_to_the_list_it_counts(client):
    """Every bar of the overview's charts but "unknown" opens its list filtered to exactly
    the devices or models it counts."""
    html = page(client, "/")
    checked, bars = 0, 0
    for chart in re.findall(r'<div class="bars"[^>]*>(.*?)</div>\s*</figure>', html, re.S):
        bars += len([label for label in re.findall(r'<span class="label">(.*?)</span>', chart)
                     if label != "unknown"])
        for href, count in re.findall(r'<span class="label"><a href="([^"]+)">.*?</a></span>.*?'
                                      r'<span class="value">(\d+)</span>', chart, re.S):
            url = html_lib.unescape(href)
            api = url.replace("/devices?", "/api/devices?").replace("/models?", "/api/models?")
            assert client.get(api).get_json()["total"] == int(count), url
            checked += 1
    assert checked == bars > 12 and "max_ram=" in html


def test_pages_print_words_not_ontology_terms(client):
    devices = page(client, "/devices?q=nano 33 ble sense")
    assert ">Cortex-M4F</span>" in devices and ">Microcontroller board</span>" in devices
    assert 'title="CortexM4F"' in devices  # the term itself stays one hover away
    shapes = page(client, "/shapes")
    assert "trs:" in shapes and "ns1:" not in shapes


def test_heatmap_cells_say_the_verdict_without_colour(client):
    html = page(client, "/compat?q=nano")
    cells = re.findall(r'<td class="(fit|tight|misfit)"><a [^>]*title="([^"]*)">(.)</a></td>', html)
    assert cells
    for kind, title, symbol in cells:
        assert symbol == {"fit": "✓", "tight": "!", "misfit": "✗"}[kind]
        assert ("does not fit" in title) == (kind == "misfit")
    names = re.findall(r'<thead>.*?</thead>', html, re.S)[0]
    assert 'title="Arduino Nano 33 BLE Sense Rev2"' in names  # the full name on hover


def test_upload_form_is_disabled_when_writes_are_off(loaded):
    html = page(make_app(loaded, write_token=None).test_client(), "/upload")
    assert html.count("<fieldset disabled>") == 2 and "Writes over HTTP are disabled" in html
    assert "<fieldset disabled>" not in page(make_app(loaded).test_client(), "/upload")


def test_a_table_exports_as_csv_and_json_with_its_filter_and_order(client):
    import csv
    import json
    answer = client.get("/devices?kind=MicrocontrollerBoard&sort=-ram&limit=200&_format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="devices.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    shown = client.get("/api/devices?kind=MicrocontrollerBoard&sort=-ram&limit=200").get_json()
    assert [r["id"] for r in rows] == [d["id"] for d in shown["items"]] and len(rows) > 10
    assert {r["kind"] for r in rows} == {"MicrocontrollerBoard"}
    as_json = json.loads(client.get("/models?q=kws&_format=json").get_data(as_text=True))
    assert [m["id"] for m in as_json["items"]] == ["kws-tiny"]
    bad = client.get("/devices?_format=xls", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "`_format` must be one of csv, json" in bad.get_data(as_text=True)


def test_the_fit_tables_of_a_model_and_a_device_export_as_the_page_shows_them(client):
    import csv
    import json
    answer = client.get("/models/kws-tiny?_format=csv")
    assert answer.status_code == 200 and 'filename="kws-tiny-v1-devices.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    fitting = client.get("/api/models/kws-tiny/devices?limit=1000").get_json()
    assert [r["id"] for r in rows if r["fits"] == "True"] == [d["id"] for d in fitting["items"]]
    assert len(rows) == client.get("/api/stats").get_json()["devices"] and "latency_ms" in rows[0]
    misfit = next(r for r in rows if r["id"] == "st-nucleo-l4r5zi")
    assert misfit["fits"] == "False" and misfit["runs"] == "True" and "microphone" in misfit["reason"]
    html = page(client, "/models/kws-tiny")
    assert '/models/kws-tiny@1?_format=csv">CSV</a>' in html.split('id="compatible"')[1]
    models = json.loads(client.get("/devices/arduino-nano-33-ble-sense?_format=json").get_data(as_text=True))
    assert "kws-tiny@1" in [m["id"] for m in models["items"] if m["fits"]]
    assert models["fitting"] == client.get("/api/devices/arduino-nano-33-ble-sense/models").get_json()["fitting"]
