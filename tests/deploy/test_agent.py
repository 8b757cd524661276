"""The reference agent's checks, on one device: nothing unsigned, damaged, meant for another
device or unable to run there is ever activated; what passes is swapped in atomically."""
import hashlib
import io
import json
import urllib.error
import urllib.request

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tinyreg.deploy import manifest
from tinyreg.deploy.agent import Device, Faults, Refusal
from tinyreg.deploy.agent.device import Dropped
from tinyreg.deploy.protocol import DEPLOY_ACTION, MANIFEST_HEADER, SIGNATURE_HEADER
from tinyreg.registry.tflite import writer
from tinyreg.registry.vocab import device_id

from .conftest import make_td

KEY = Ed25519PrivateKey.generate()
SMALL = writer.fully_connected()
OTHER = writer.fully_connected(inputs=32)
CONV = writer.conv2d(size=32, channels=3, filters=8)  # needs a ~12 KB tensor arena


def _device(tmp_path, faults=(), **td) -> Device:
    return Device.from_td(make_td("unit", **td), "http://127.0.0.1:1/", tmp_path,
                          KEY.public_key(), Faults.parse(faults))


def _order(target: Device, data: bytes, n: int = 0, key=KEY, action="deploy", **changes):
    fields = dict(action=action, deployment=f"https://w3id.org/tinyreg/id/deployment/t-{n}",
                  device=target.iri, device_id=target.source_id, sequence=n + 1,
                  model="https://w3id.org/tinyreg/id/model/m",
                  version=f"https://w3id.org/tinyreg/id/model/m/v{n + 1}", version_number=n + 1,
                  sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data),
                  media_type="application/vnd.tflite",
                  registry="https://w3id.org/tinyreg/id/registry",
                  issued="2026-11-21T08:00:00+00:00")
    fields.update(changes)
    return manifest.sign(key, **fields).encoded()


def _deploy(device: Device, data: bytes, n: int = 0, **changes):
    fields = device.check_manifest(*_order(device, data, n, **changes), "deploy")
    return device.receive(fields, len(data), io.BytesIO(data).read)


def test_a_good_model_becomes_active_and_the_old_one_is_kept(tmp_path):
    device = _device(tmp_path)
    _deploy(device, SMALL, 0)
    info = _deploy(device, OTHER, 1)
    assert info["active"]["sha256"] == hashlib.sha256(OTHER).hexdigest()
    assert info["previous"]["sha256"] == hashlib.sha256(SMALL).hexdigest()
    kept = {p.name for p in device.state.models.iterdir()}
    assert kept == {f"{hashlib.sha256(d).hexdigest()}.tflite" for d in (SMALL, OTHER)}
    assert device.state.model_path(info["active"]["sha256"]).read_bytes() == OTHER
    assert [a["sha256"] for a in device.state.activations()] == [
        hashlib.sha256(d).hexdigest() for d in (SMALL, OTHER)]


def test_the_same_deployment_sent_twice_is_activated_once(tmp_path):
    device = _device(tmp_path)
    _deploy(device, SMALL, 0)
    _deploy(device, SMALL, 0)
    assert len(device.state.activations()) == 1


def test_a_manifest_signed_by_another_key_is_refused(tmp_path):
    device = _device(tmp_path)
    with pytest.raises(Refusal) as caught:
        device.check_manifest(*_order(device, SMALL, key=Ed25519PrivateKey.generate()), "deploy")
    assert caught.value.status == 403 and not caught.value.retryable
    assert device.info()["active"] is None


def test_a_manifest_for_another_device_is_refused(tmp_path):
    device = _device(tmp_path)
    with pytest.raises(Refusal, match="is for .*other") as caught:
        device.check_manifest(*_order(device, SMALL, device="https://w3id.org/tinyreg/id/device/other"),
                              "deploy")
    assert not caught.value.retryable


def test_bytes_that_do_not_match_the_digest_are_refused_and_may_be_resent(tmp_path):
    device = _device(tmp_path)
    fields = device.check_manifest(*_order(device, SMALL), "deploy")
    damaged = bytes([SMALL[0] ^ 1]) + SMALL[1:]
    with pytest.raises(Refusal, match="SHA-256") as caught:
        device.receive(fields, len(damaged), io.BytesIO(damaged).read)
    assert caught.value.retryable
    assert device.info()["active"] is None
    assert list(device.state.incoming.iterdir()) == [] and list(device.state.models.iterdir()) == []


def test_a_size_other_than_the_manifest_says_is_refused(tmp_path):
    device = _device(tmp_path)
    fields = device.check_manifest(*_order(device, SMALL), "deploy")
    with pytest.raises(Refusal, match="announced"):
        device.receive(fields, len(SMALL) + 1, io.BytesIO(SMALL + b"x").read)


def test_a_transfer_that_stops_early_activates_nothing(tmp_path):
    device = _device(tmp_path)
    fields = device.check_manifest(*_order(device, SMALL), "deploy")
    with pytest.raises(Dropped):
        device.receive(fields, len(SMALL), io.BytesIO(SMALL[:100]).read)
    assert device.info()["active"] is None and list(device.state.incoming.iterdir()) == []


@pytest.mark.parametrize("fault, error", [("drop=1", Dropped), ("corrupt=1", Refusal),
                                          ("reject=1", Refusal)])
def test_injected_faults_hit_the_first_deployment_only(tmp_path, fault, error):
    device = _device(tmp_path, [fault])
    with pytest.raises(error):
        _deploy(device, SMALL, 0)
    assert device.info()["active"] is None
    _deploy(device, SMALL, 0)
    assert device.info()["active"]["sha256"] == hashlib.sha256(SMALL).hexdigest()


def test_a_model_whose_arena_exceeds_the_declared_ram_is_rejected_by_tflm(tmp_path):
    # 12 KiB of RAM less TFLM's typical 4 KiB (ontology/runtimes.ttl): an 8 KiB arena.
    device = _device(tmp_path, ram=12288, reserved_ram=0)
    with pytest.raises(Refusal, match="does not load on this device: TFLM with a 8192-byte arena") as caught:
        _deploy(device, CONV)
    assert not caught.value.retryable
    assert device.info()["active"] is None


def test_the_same_model_loads_where_the_ram_suffices(tmp_path):
    device = _device(tmp_path, ram=65536, reserved_ram=16384)
    assert _deploy(device, CONV)["active"]["sha256"] == hashlib.sha256(CONV).hexdigest()


def test_a_linux_device_test_loads_on_litert(tmp_path):
    device = _device(tmp_path, linux=True)
    assert device.budget.runtime == "LiteRT"
    assert _deploy(device, SMALL)["active"] is not None


def test_a_model_larger_than_the_free_flash_is_refused_before_it_is_received(tmp_path):
    device = _device(tmp_path, flash=2048)
    fields = device.check_manifest(*_order(device, SMALL, byte_size=4096), "deploy")
    with pytest.raises(Refusal, match="flash"):
        device.receive(fields, 4096, lambda n: pytest.fail("read bytes it should not"))


def test_rollback_swaps_back_to_the_kept_model(tmp_path):
    device = _device(tmp_path)
    _deploy(device, SMALL, 0)
    _deploy(device, OTHER, 1)
    fields = device.check_manifest(*_order(device, SMALL, 2, action="rollback"), "rollback")
    info = device.rollback(fields)
    assert info["active"]["sha256"] == hashlib.sha256(SMALL).hexdigest()
    assert info["previous"]["sha256"] == hashlib.sha256(OTHER).hexdigest()


def test_rollback_to_a_model_the_device_does_not_keep_is_refused(tmp_path):
    device = _device(tmp_path)
    _deploy(device, SMALL, 0)
    fields = device.check_manifest(*_order(device, OTHER, 1, action="rollback"), "rollback")
    with pytest.raises(Refusal, match="keeps nothing"):
        device.rollback(fields)


def test_a_deploy_manifest_cannot_order_a_rollback(tmp_path):
    device = _device(tmp_path)
    with pytest.raises(Refusal, match="deploy manifest was sent to the rollback"):
        device.check_manifest(*_order(device, SMALL), "rollback")


def test_unknown_faults_are_named():
    with pytest.raises(ValueError, match="unknown fault 'melt'"):
        Faults.parse(["melt"])
    with pytest.raises(ValueError, match="whole number"):
        Faults.parse(["drop=x"])


# ---- over HTTP, as a process

def test_the_agent_serves_a_td_whose_forms_lead_to_its_actions(agents, tmp_path):
    agent = agents([make_td("http")])
    base = agent.url + device_id("urn:dev:test:http") + "/"
    with urllib.request.urlopen(base + "td", timeout=10) as answer:
        td = json.loads(answer.read())
    assert td["base"] == base
    form = td["actions"][DEPLOY_ACTION]["forms"][0]
    assert (form["href"], form["htv:methodName"], form["contentType"]) == (
        "model", "PUT", "application/vnd.tflite")
    with urllib.request.urlopen(base + "model", timeout=10) as answer:
        assert json.loads(answer.read())["active"] is None


def test_an_unsigned_push_gets_a_problem_document(agents):
    agent = agents([make_td("nosig")])
    request = urllib.request.Request(agent.url + device_id("urn:dev:test:nosig") + "/model", data=SMALL,
                                     method="PUT", headers={MANIFEST_HEADER: "x"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert caught.value.headers["Content-Type"] == "application/problem+json"
    body = json.loads(caught.value.read())
    assert body["retryable"] is False and "signed manifest" in body["detail"]
    assert SIGNATURE_HEADER not in request.headers


# ---- identity, order and enrolment

def test_a_manifest_for_this_iri_but_another_source_id_is_refused(tmp_path):
    device = _device(tmp_path)
    with pytest.raises(Refusal, match="Wrong device|urn:dev:elsewhere") as caught:
        device.check_manifest(*_order(device, SMALL, device_id="urn:dev:elsewhere"), "deploy")
    assert caught.value.status == 409 and not caught.value.retryable


def test_an_order_not_newer_than_the_last_accepted_is_refused_after_a_restart(tmp_path):
    device = _device(tmp_path)
    _deploy(device, OTHER, 4)  # sequence 5
    assert device.state.sequence() == 5
    restarted = _device(tmp_path)
    for n, data in ((1, SMALL), (3, SMALL)):
        with pytest.raises(Refusal, match="not newer than manifest 5") as caught:
            _deploy(restarted, data, n)
        assert caught.value.title == "Stale manifest" and not caught.value.retryable
    with pytest.raises(Refusal, match="not newer"):
        restarted.check_manifest(*_order(restarted, SMALL, 2, action="rollback"), "rollback")
    assert restarted.info()["active"]["sha256"] == hashlib.sha256(OTHER).hexdigest()
    assert _deploy(restarted, SMALL, 5)["active"]["sha256"] == hashlib.sha256(SMALL).hexdigest()


def test_an_order_overtaken_while_its_bytes_arrived_is_not_swapped_in(tmp_path):
    device = _device(tmp_path)
    older = device.check_manifest(*_order(device, SMALL, 0), "deploy")
    _deploy(device, OTHER, 1)  # accepted while the first one was still arriving
    with pytest.raises(Refusal, match="not newer"):
        device.receive(older, len(SMALL), io.BytesIO(SMALL).read)
    assert device.info()["active"]["sha256"] == hashlib.sha256(OTHER).hexdigest()
    assert list(device.state.incoming.iterdir()) == []


def test_the_published_td_enrols_the_device_key_kept_in_its_state(tmp_path):
    device = _device(tmp_path)
    td = json.loads(device.published_td())
    assert "https://w3id.org/tinyreg/td/v1" in td["@context"]
    assert td["publicKey"] == _device(tmp_path).td["publicKey"]  # the same key after a restart
    other = make_td("unit")
    other["publicKey"] = json.loads(_device(tmp_path / "elsewhere").published_td())["publicKey"]
    with pytest.raises(ValueError, match="enrols the key"):
        Device.from_td(other, None, tmp_path, KEY.public_key())
