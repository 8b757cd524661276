"""Deployments in the API and the dashboard, after a real rollout in pull mode: the
reference agent's poller collects its model through the /pull endpoints the app mounts
(on waitress, as `tinyreg serve` runs it), checks it, test-loads it and reports."""
from __future__ import annotations

import csv
import io
import json
import re
import threading
import time

import pytest

from tinyreg.deploy import rollout
from tinyreg.deploy.agent.device import Device
from tinyreg.deploy.agent.pull import Poller
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.keys import load_key
from tinyreg.registry.references import resolve_model
from tinyreg.registry.vocab import device_id, device_iri

from .test_dashboard import page

# tests/deploy writes and reads deployment records on both stores; this is the web layer
# over them and the /pull mount.
pytestmark = pytest.mark.stores("embedded")

NAT_TD = {
    "@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
    "id": "urn:dev:web:nat-node", "@type": "Thing", "title": "Node behind NAT",
    "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
    "ramBytes": 262144, "reservedRamBytes": 65536, "flashBytes": 1048576,
    "processor": {"mcu": "nRF52840", "core": "CortexM4F", "clockHz": 64000000},
    "runtimes": [{"runtime": "TFLM"}], "sensors": [{"@type": "PDMMicrophone"}],
}
NAT = device_iri(device_id(NAT_TD["id"]))


@pytest.fixture(scope="module")
def pulled(loaded, live_server, tmp_path_factory):
    """kws-tiny@1 rolled out to a device that only pulls; returns the rollout's summary."""
    device = Device.from_td(NAT_TD, None, tmp_path_factory.mktemp("nat-state"),
                            load_key(loaded.data_path).public_key())
    # Registered as the device publishes its TD: with the public key it signs requests with.
    add_device(loaded, device.published_td().encode(), "nat-node.td.jsonld")
    poller = Poller([device], live_server + "/pull", interval_s=0.1, timeout_s=30)
    options = rollout.Options(waves=(1,), backoff_s=0.05, timeout_s=10, pull_timeout_s=60)
    plan = rollout.plan(loaded, resolve_model(loaded, "kws-tiny@1"), [NAT])
    assert [p.target for p in plan.devices] == ["pull"]
    iri = rollout.start(loaded, plan, options, "test: nat-node")
    result = {}
    runner = threading.Thread(target=lambda: result.update(summary=rollout.run(loaded, iri, options)))
    runner.start()
    reported, deadline = None, time.monotonic() + 60
    while reported is None and time.monotonic() < deadline:
        reported = poller.poll(device)  # None until the wave has queued the assignment
        time.sleep(0.05)
    runner.join(timeout=60)
    assert reported == "active" and result["summary"].state == "Completed"
    return result["summary"], device


def test_the_pull_endpoints_are_mounted_where_the_agent_polls(client, pulled):
    _, device = pulled
    assert client.get("/api").get_json()["pull"] == "http://localhost/pull/"
    assert client.get("/pull/").get_json()["assignment"] == "devices/{device}/assignment"
    resource = f"devices/{device.slug}/assignment"
    idle = client.get("/pull/" + resource, headers=device.signer.headers("GET", resource))
    assert idle.status_code == 204  # no wave waits for it
    for url, code in ((f"/pull/{resource}", 401), ("/pull/artifacts/" + "0" * 64, 404),
                      ("/pull/deployments/x-0/artifact", 401)):
        answer = client.get(url)
        assert answer.status_code == code and answer.mimetype == "application/problem+json", url


def test_deployments_and_rollouts_in_the_api(client, pulled):
    token = pulled[0].rollout.rsplit("/", 1)[-1]
    listing = client.get("/api/deployments", query_string={"device": NAT_TD["id"]})
    body = listing.get_json()
    assert body["total"] == 1 == int(listing.headers["X-Total-Count"])
    record = body["items"][0]
    assert (record["status"], record["transport"], record["version_id"]) == ("Active", "pull", "kws-tiny@1")
    assert client.get(f"/api/deployments/{record['id']}").get_json()["iri"] == record["iri"]
    assert [d["id"] for d in client.get("/api/deployments", query_string={
        "model": "kws-tiny@1", "status": "Active"}).get_json()["items"]] == [record["id"]]
    assert client.get("/api/deployments", query_string={"status": "Failed"}).get_json()["total"] == 0
    rollouts = client.get("/api/rollouts").get_json()
    assert token in [r["id"] for r in rollouts["items"]]
    status = client.get(f"/api/rollouts/{token}").get_json()
    assert (status["state"], status["byStatus"]) == ("Completed", {"Active": 1})
    for url, code in (("/api/deployments/no-such-one", 404), ("/api/rollouts/!!", 404),
                      ("/api/deployments?status=Happy", 400), ("/api/deployments?device=nope", 404)):
        answer = client.get(url)
        assert answer.status_code == code and answer.mimetype == "application/problem+json", url


def test_device_page_says_what_runs_on_it(client, pulled):
    html = page(client, f"/devices/{device_id(NAT_TD['id'])}")
    section = re.search(r'<section class="card" id="deployments">.*?</section>', html, re.S).group(0)
    assert re.search(r"Runs now: <a href=\"/models/kws-tiny@1\"><b>kws-tiny@1</b>", section)
    assert section.count('<span class="status-active">Active</span>') == 1
    assert "Nothing deployed by the registry runs on it." in page(
        client, "/devices/arduino-nano-33-ble-sense")


def test_deployments_page_lists_rollouts_and_filters(client, pulled):
    token = pulled[0].rollout.rsplit("/", 1)[-1]
    html = page(client, "/deployments")
    assert f'<a href="/deployments?rollout={token}"><code>{token}</code></a>' in html
    chosen = page(client, f"/deployments?rollout={token}")
    assert "Completed" in chosen and "1 deployments of" in chosen
    assert "No deployment matches." in page(client, "/deployments?status=Failed")


def test_a_rollout_every_device_refused_does_not_read_completed(loaded, client, pulled):
    answer = client.get("/api/models/kws-tiny@1/devices?explain=1&limit=1000").get_json()
    misfits = [row["iri"] for row in answer["items"] if not row["fits"]][:2]
    plan = rollout.plan(loaded, resolve_model(loaded, "kws-tiny@1"), misfits)
    assert not plan.accepted
    iri = rollout.start(loaded, plan, rollout.Options(waves=(1,), timeout_s=10), "test: refused")
    assert rollout.run(loaded, iri, rollout.Options(waves=(1,), timeout_s=10)).state == "Completed"
    token = iri.rsplit("/", 1)[-1]
    status = client.get(f"/api/rollouts/{token}").get_json()
    assert (status["state"], status["outcome"], status["byStatus"]) == (
        "Completed", "Refused: nothing sent", {"Refused": 2})
    listed = {r["id"]: r for r in client.get("/api/rollouts").get_json()["items"]}
    assert listed[token]["outcome"] == "Refused: nothing sent"
    assert listed[pulled[0].rollout.rsplit("/", 1)[-1]]["outcome"] == "Completed"  # one installed
    chosen = page(client, f"/deployments?rollout={token}")
    tag = re.search(r'<h2>Rollout .*?</h2>', chosen, re.S).group(0)
    assert "Refused: nothing sent" in tag and ">Completed<" not in tag
    row = re.search(rf'<tr><td><a href="/deployments\?rollout={token}">.*?</tr>', page(client, "/deployments"), re.S)
    assert "Refused: nothing sent" in row.group(0)
    # The deployments table exports as the page shows it, with its filter.
    exported = client.get(f"/deployments?rollout={token}&_format=csv")
    assert 'filename="deployments.csv"' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert sorted(r["device"] for r in rows) == sorted(misfits)
    assert {r["status"] for r in rows} == {"Refused"} and all(r["reason"] for r in rows)
