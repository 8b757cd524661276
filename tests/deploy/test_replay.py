"""No replay, no downgrade, no stall: the issue's reproductions against agent processes.

Each manifest carries its deployment's sequence number; a device activates only a manifest
newer than the last it accepted, and remembers that across restarts. A replayed order is
signed again here from the same deployment record: every field a device checks (the
deployment, the version, the digest, the sequence) is the one the registry first sent, so
to the device it is the captured request sent again.
"""
import http.client
import json
import socket
import threading
from urllib.parse import urlsplit

import pytest

from tinyreg.deploy import rollout
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.deploy.jobs import Signer, load_artifact, read_version, source_ids
from tinyreg.deploy.protocol import MANIFEST_HEADER, MODEL_MEDIA_TYPE, SIGNATURE_HEADER
from tinyreg.deploy.rollback import start_rollback
from tinyreg.deploy.records import read_deployments
from tinyreg.registry.references import resolve_model

from .conftest import AgentProcess, iri_of, make_td, path_of, register_offline
from .test_rollout import FAST, _deploy, _sha

# What a device refuses does not depend on where the registry keeps its records.
pytestmark = pytest.mark.stores("embedded")


def _order(registry, rollout_iri: str) -> tuple[tuple[str, str], bytes | None]:
    """The signed manifest (and the model's bytes, for a deploy) of a rollout's deployment."""
    [d] = read_deployments(registry, rollout=rollout_iri)
    version = read_version(registry, d.version)
    action = "rollback" if d.rollback_of else "deploy"
    signed = Signer(registry).sign(d, version, action, source_ids(registry, [d.device])[d.device])
    return signed.encoded(), None if d.rollback_of else load_artifact(registry, version)


def _send(agent_url: str, name: str, order) -> tuple[int, dict]:
    """Send an order to the device as the registry's http target does."""
    (manifest, signature), data = order
    url = urlsplit(agent_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        if data is None:
            body = json.dumps({"manifest": manifest, "signature": signature}).encode()
            connection.request("POST", f"/{path_of(name)}/model/rollback", body,
                               {"Content-Type": "application/json"})
        else:
            connection.request("PUT", f"/{path_of(name)}/model", data, {
                MANIFEST_HEADER: manifest, SIGNATURE_HEADER: signature,
                "Content-Type": MODEL_MEDIA_TYPE})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_replayed_v1_deploy_after_v2_is_refused_even_after_a_restart(registry, agents, trust):
    agent = agents([make_td("replayed")], register=registry)
    first = _deploy(registry, "kws@1", [iri_of("replayed")])
    v1 = _order(registry, first.rollout)
    second = _deploy(registry, "kws@2", [iri_of("replayed")])
    v2 = _order(registry, second.rollout)

    status, problem = _send(agent.url, "replayed", v1)
    assert status == 409 and problem["title"] == "Stale manifest" and not problem["retryable"]
    assert agent.device_state("replayed")["active"]["sha256"] == _sha(registry, "kws@2")
    assert len(agent.activations("replayed")) == 2
    assert [d["status"] for d in registry.deployments.records(DeploymentFilter(device=iri_of("replayed")))] == [
        "Superseded", "Active"]

    # The device remembers the last manifest it accepted across a restart.
    agent.stop()
    again = AgentProcess([make_td("replayed")], agent.workdir, trust, ["--port", "0"])
    try:
        status, problem = _send(again.url, "replayed", v1)
        assert status == 409 and "not newer" in problem["detail"]
        # The active order sent again (a retry after a lost answer) changes nothing.
        status, info = _send(again.url, "replayed", v2)
        assert status == 200 and info["active"]["sha256"] == _sha(registry, "kws@2")
    finally:
        again.stop()
    assert len(again.activations("replayed")) == 2


def test_a_replayed_rollback_is_refused(registry, pool):
    [name], agent = pool.take(registry, 1), pool.agent
    _deploy(registry, "kws@1", [iri_of(name)])
    _deploy(registry, "kws@2", [iri_of(name)])
    iri, _ = start_rollback(registry, devices=[iri_of(name)])
    back = rollout.run(registry, iri, rollout.Options(**FAST))
    assert agent.device_state(name)["active"]["sha256"] == _sha(registry, "kws@1")
    undo = _order(registry, back.rollout)
    _deploy(registry, "kws@2", [iri_of(name)])  # forward again, as a later order

    status, problem = _send(agent.url, name, undo)
    assert status == 409 and problem["title"] == "Stale manifest"
    state = agent.device_state(name)
    assert state["active"]["sha256"] == _sha(registry, "kws@2")
    assert [a["action"] for a in agent.activations(name)] == ["deploy", "deploy", "rollback",
                                                             "deploy"]


def test_a_slow_or_stalled_transfer_blocks_no_other_and_is_cut_off(registry, agents):
    agent = agents([make_td("stalled")], "--timeout", "2", register=registry)
    version = resolve_model(registry, "kws@1")
    iri = rollout.start(registry, rollout.plan(registry, version, [iri_of("stalled")]),
                        rollout.Options(**FAST), "test")
    [d] = read_deployments(registry, rollout=iri)
    (manifest, signature), data = _order(registry, iri)

    url = urlsplit(agent.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as slow:
        slow.sendall((f"PUT /{path_of('stalled')}/model HTTP/1.1\r\nHost: x\r\n"
                      f"{MANIFEST_HEADER}: {manifest}\r\n{SIGNATURE_HEADER}: {signature}\r\n"
                      f"Content-Type: {MODEL_MEDIA_TYPE}\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n").encode() + data[:100])
        # A byte every half second: never idle long enough to be cut off, never done.
        stop = threading.Event()

        def trickle():
            for i in range(100, len(data) // 2):
                if stop.wait(0.5):
                    return
                slow.sendall(data[i:i + 1])

        sender = threading.Thread(target=trickle)
        sender.start()
        try:
            # Meanwhile the registry deploys to the device: the transfer holds no lock.
            summary = rollout.run(registry, iri, rollout.Options(**FAST))
        finally:
            stop.set()
            sender.join(timeout=10)
        assert summary.state == "Completed" and summary.counts == {"Active": 1}
        record = registry.deployments.records(DeploymentFilter(rollout=iri))[0]
        assert (record["status"], record["attempts"]) == ("Active", 1)
        assert agent.device_state("stalled")["active"]["deployment"] == d.iri
        # Once it stalls, the agent drops the connection without an answer.
        assert slow.recv(1024) == b""
    assert list((agent.state / path_of("stalled") / "incoming").iterdir()) == []
    assert len(agent.activations("stalled")) == 1


def test_a_device_that_never_answers_does_not_hold_the_registry(registry):
    """The registry's side of a stalled transfer: its sends have a socket timeout too."""
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)  # accepts connections, never reads nor answers
        device = register_offline(registry, "mute", port=mute.getsockname()[1])
        options = rollout.Options(**dict(FAST, max_attempts=2, timeout_s=1))
        plan = rollout.plan(registry, resolve_model(registry, "kws@1"), [device])
        summary = rollout.run(registry, rollout.start(registry, plan, options, "test"), options)
    record = registry.deployments.records(DeploymentFilter(rollout=summary.rollout))[0]
    assert (record["status"], record["attempts"]) == ("Failed", 2)
    assert "no answer within 1 s" in record["reason"]
