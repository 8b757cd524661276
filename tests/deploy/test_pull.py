"""Pull mode: a device the registry cannot reach polls for its assignment, downloads the
model, and reports; the rollout waits for the report."""
import threading

import pytest
import waitress

from tinyreg.deploy import list_deployments, rollout
from tinyreg.deploy.assignments import make_app
from tinyreg.deploy.rollback import start_rollback
from tinyreg.registry.models import resolve_version

from .conftest import iri_of, make_td
from .test_rollout import FAST, _sha

PULL = rollout.Options(**FAST, pull_timeout_s=60)


@pytest.fixture
def pull_url(registry):
    server = waitress.create_server(make_app(registry), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/"
    server.close()
    thread.join(timeout=10)


def _run(registry, ref, devices):
    plan = rollout.plan(registry, resolve_version(registry, ref), devices)
    assert {p.target for p in plan.devices} == {"pull"}
    return rollout.run(registry, rollout.start(registry, plan, PULL, "test"), PULL)


def test_a_pulling_device_collects_checks_and_reports(registry, agents, pull_url):
    agent = agents([make_td("nat")], "--pull", pull_url, "--poll-interval", "0.2",
                   "--fault", "corrupt=1", register=registry, port=False)
    first = _run(registry, "kws@1", [iri_of("nat")])
    record = list_deployments(registry, rollout=first.rollout)[0]
    # The first download arrived damaged: the device said so and the retry went through.
    assert (first.state, record["status"], record["attempts"]) == ("Completed", "Active", 2)
    assert [a["sha256"] for a in agent.activations("nat")] == [_sha(registry, "kws@1")]

    _run(registry, "kws@2", [iri_of("nat")])
    iri, _ = start_rollback(registry, devices=[iri_of("nat")])
    back = rollout.run(registry, iri, PULL)
    assert back.counts == {"Active": 1}
    assert agent.device_state("nat")["active"]["sha256"] == _sha(registry, "kws@1")


def test_nothing_is_assigned_to_a_device_outside_a_running_wave(registry, pull_url):
    import urllib.request
    with urllib.request.urlopen(pull_url + "devices/urn-dev-test-idle/assignment", timeout=10) as answer:
        assert answer.status == 204


def test_a_report_for_another_device_is_refused(registry, pull_url):
    import json
    import urllib.error
    import urllib.request
    request = urllib.request.Request(pull_url + "deployments/nope-0/report", method="POST",
                                     data=json.dumps({"device": "x", "status": "active"}).encode())
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["detail"] == "no deployment 'nope-0'"
