"""Pull mode: a device the registry cannot reach polls for its assignment, downloads the
model, and reports; the rollout waits for the report. Every request is signed by the
device's enrolled key: nobody else gets its manifest or its model, or reports for it."""
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from tinyreg.deploy import rollout
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.deploy.agent import Device
from tinyreg.deploy.agent.pull import Poller
from tinyreg.deploy.device_requests import RequestSigner
from tinyreg.deploy.rollback import start_rollback
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.keys import parse_public_key
from tinyreg.registry.references import resolve_model
from tinyreg.registry.vocab import local_name
from tinyreg.web.app import create_pull_app

from .conftest import iri_of, make_td
from .test_rollout import FAST, _sha

PULL = rollout.Options(**FAST, pull_timeout_s=60)
WAIT_S = 60


@pytest.fixture
def pull_url(registry):
    server = make_server("127.0.0.1", 0, create_pull_app(registry), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def enrol(registry, tmp_path, trust):
    """enrol(name): a device (in this process) whose TD, with its public key, is registered."""
    def make(name: str) -> Device:
        device = Device.from_td(make_td(name), None, tmp_path / "devices", parse_public_key(trust))
        add_device(registry, device.published_td().encode(), f"{name}.td.jsonld")
        return device
    return make


def _run(registry, ref, devices):
    plan = rollout.plan(registry, resolve_model(registry, ref), devices)
    assert {p.target for p in plan.devices} == {"pull"}
    return rollout.run(registry, rollout.start(registry, plan, PULL, "test"), PULL)


def _call(url: str, *, signer: RequestSigner | None = None, resource: str = "",
          body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one request; `signer` signs it for `resource`."""
    method = "GET" if body is None else "POST"
    sent = dict(headers or {})
    if signer is not None:
        sent.update(signer.headers(method, resource, body or b""))
    request = urllib.request.Request(url, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _problem(answer, status: int) -> dict:
    code, headers, body = answer
    assert code == status, body
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status and "manifest" not in problem
    return problem


def test_a_pulling_device_collects_checks_and_reports(registry, agents, pull_url):
    agent = agents([make_td("nat")], "--pull", pull_url, "--poll-interval", "0.2",
                   "--fault", "corrupt=1", register=registry, port=False)
    first = _run(registry, "kws@1", [iri_of("nat")])
    record = registry.deployments.records(DeploymentFilter(rollout=first.rollout))[0]
    # The first download arrived damaged: the device said so and the retry went through.
    assert (first.state, record["status"], record["attempts"]) == ("Completed", "Active", 2)
    assert [a["sha256"] for a in agent.activations("nat")] == [_sha(registry, "kws@1")]

    _run(registry, "kws@2", [iri_of("nat")])
    iri, _ = start_rollback(registry, devices=[iri_of("nat")])
    back = rollout.run(registry, iri, PULL)
    assert back.counts == {"Active": 1}
    assert agent.device_state("nat")["active"]["sha256"] == _sha(registry, "kws@1")


def test_nothing_is_assigned_to_a_device_outside_a_running_wave(registry, pull_url, enrol):
    idle = enrol("idle")
    assert Poller([idle], pull_url, interval_s=1).poll(idle) is None


def test_an_unsigned_request_is_refused_with_a_problem_document(registry, pull_url, enrol,
                                                               tmp_path, trust):
    enrol("shy")
    answer = _call(pull_url + f"devices/{local_name(iri_of('shy'))}/assignment")
    assert "signs its requests" in _problem(answer, 401)["detail"]
    assert answer[1]["WWW-Authenticate"].startswith("Tinyreg-Device")
    # A device the registry holds no key for is a stranger, whatever it claims.
    stranger = Device.from_td(make_td("stranger"), None, tmp_path / "strangers",
                              parse_public_key(trust))
    answer = _call(pull_url + f"devices/{stranger.slug}/assignment", signer=stranger.signer,
                   resource=f"devices/{stranger.slug}/assignment")
    assert "no key enrolled" in _problem(answer, 401)["detail"]


def test_a_report_for_no_deployment_is_refused(registry, pull_url, enrol):
    device = enrol("lost")
    body = json.dumps({"device": device.iri, "attempt": 1, "status": "active"}).encode()
    answer = _call(pull_url + "deployments/nope-0/report", signer=device.signer,
                   resource="deployments/nope-0/report", body=body)
    assert _problem(answer, 404)["detail"] == "no deployment 'nope-0'"


def test_forged_pulls_and_reports_are_refused_and_change_nothing(registry, pull_url, enrol):
    """The issue's reproductions: without the device's key nobody gets its manifest or its
    model, and neither a forged "active" nor a forged "failed" moves the rollout."""
    victim, mallory = enrol("victim"), enrol("mallory")
    version = resolve_model(registry, "kws@1")
    iri = rollout.start(registry, rollout.plan(registry, version, [victim.iri]), PULL, "test")
    result = {}
    runner = threading.Thread(target=lambda: result.update(s=rollout.run(registry, iri, PULL)))
    runner.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while registry.deployments.records(DeploymentFilter(rollout=iri))[0]["status"] != "Sending":
            assert time.monotonic() < deadline, "the wave never opened the assignment"
            time.sleep(0.05)
        before = registry.deployments.records(DeploymentFilter(rollout=iri))[0]
        token = local_name(before["iri"])
        mine = f"devices/{victim.slug}/assignment"
        artifact, report = f"deployments/{token}/artifact", f"deployments/{token}/report"

        # Anyone asking for the victim's assignment or its model.
        _problem(_call(pull_url + mine), 401)
        assert "own assignment" in _problem(
            _call(pull_url + mine, signer=mallory.signer, resource=mine), 403)["detail"]
        assert _call(pull_url + f"devices/{mallory.slug}/assignment", signer=mallory.signer,
                     resource=f"devices/{mallory.slug}/assignment")[0] == 204
        _problem(_call(pull_url + artifact), 401)
        assert "not assigned to" in _problem(
            _call(pull_url + artifact, signer=mallory.signer, resource=artifact), 403)["detail"]
        assert _call(pull_url + "artifacts/" + _sha(registry, "kws@1"))[0] == 404

        # Forged reports: unsigned, signed by another device, or signed for another request.
        for status, reason in (("active", None), ("failed", "pwned by mallory")):
            body = json.dumps({"device": victim.iri, "attempt": before["attempts"],
                               "status": status, "reason": reason}).encode()
            _problem(_call(pull_url + report, body=body,
                           headers={"Content-Type": "application/json"}), 401)
            _problem(_call(pull_url + report, signer=mallory.signer, resource=report,
                           body=body), 403)
            borrowed = victim.signer.headers("GET", mine)
            _problem(_call(pull_url + report, body=body, headers=borrowed), 401)
        after = registry.deployments.records(DeploymentFilter(rollout=iri))[0]
        assert (after["status"], after["attempts"], after["reason"]) == (
            "Sending", before["attempts"], None)

        # A request the victim really made, captured and sent again, is refused.
        captured = victim.signer.headers("GET", mine)
        assert _call(pull_url + mine, headers=captured)[0] == 200
        assert "not newer" in _problem(_call(pull_url + mine, headers=captured), 401)["detail"]

        # The device itself collects, checks and reports: the rollout completes.
        assert Poller([victim], pull_url, interval_s=1).poll(victim) == "active"
    except BaseException:
        rollout.request_cancel(registry.data_path, iri)  # the wave stops waiting for a report
        raise
    finally:
        runner.join(timeout=WAIT_S)
    assert result["s"].state == "Completed" and result["s"].counts == {"Active": 1}
    # Once the deployment is no longer open, not even its own device reports on it.
    body = json.dumps({"device": victim.iri, "attempt": 1, "status": "failed",
                       "reason": "late"}).encode()
    assert "is active" in _problem(_call(pull_url + report, signer=victim.signer,
                                         resource=report, body=body), 409)["detail"]
    assert registry.deployments.records(DeploymentFilter(rollout=iri))[0]["status"] == "Active"


def test_the_pull_app_answers_every_error_as_a_problem_document(registry):
    client = create_pull_app(registry).test_client()
    for url, code in (("/nowhere", 404), ("/devices/x/assignment", 401),
                      ("/deployments/x-0/report", 405)):
        answer = client.get(url)
        assert answer.status_code == code and answer.mimetype == "application/problem+json", url
    big = client.post("/deployments/x-0/report", data=b"x" * 70000)
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    for garbage in ({"Tinyreg-Device": "not an iri <>", "Tinyreg-Created": "1",
                     "Tinyreg-Request-Signature": "x"},
                    {"Tinyreg-Device": iri_of("nobody"), "Tinyreg-Created": "soon",
                     "Tinyreg-Request-Signature": "%%%"}):
        answer = client.get("/devices/x/assignment", headers=garbage)
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json"


def test_the_web_api_imports_nothing_from_the_app_module():
    """The pull prefix lives with its blueprint in deploy/: no import cycle through web.app."""
    code = "import sys, tinyreg.web.api; print('tinyreg.web.app' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
