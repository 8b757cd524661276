"""Rolling back: the device swaps back to the model it kept; the graph says so."""
import pytest

from tinyreg.deploy import rollout
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.deploy.rollback import start_rollback
from tinyreg.registry import Conflict
from tinyreg.registry.references import resolve_model

from tinyreg.registry.vocab import device_id

from .conftest import iri_of
from .test_rollout import FAST, _deploy, _sha


def test_rolling_back_a_rollout_returns_its_devices_to_the_version_before(registry, pool):
    names, agent = pool.take(registry, 2), pool.agent
    devices = [iri_of(n) for n in names]
    _deploy(registry, "kws@1", devices)
    upgrade = _deploy(registry, "kws@2", devices)
    iri, skipped = start_rollback(registry, rollout=upgrade.rollout)
    summary = rollout.run(registry, iri, rollout.Options(**FAST))
    assert skipped == [] and summary.state == "Completed" and summary.counts == {"Active": 2}
    for name in names:
        assert agent.device_state(name)["active"]["sha256"] == _sha(registry, "kws@1")
        assert agent.info(name)["transfers"] == 2  # the rollback sent no model bytes
    statuses = {(d["version_id"], d["status"]) for d in registry.deployments.records(DeploymentFilter(device=devices[0]))}
    assert statuses == {("kws@1", "Superseded"), ("kws@2", "RolledBack"), ("kws@1", "Active")}
    back = [d for d in registry.deployments.records(DeploymentFilter(rollout=iri))]
    undone = {d["iri"] for d in registry.deployments.records(DeploymentFilter(rollout=upgrade.rollout))}
    assert {d["rollback_of"] for d in back} == undone
    assert all(d["replaces"] in undone for d in back)


def test_a_device_with_only_its_first_model_has_nothing_to_roll_back_to(registry, pool):
    [first] = pool.take(registry, 1)
    _deploy(registry, "kws@1", [iri_of(first)])
    with pytest.raises(Conflict, match="nothing to go back to"):
        start_rollback(registry, devices=[iri_of(first)])


def test_a_device_that_lost_its_kept_model_refuses_the_rollback(registry, pool):
    [amnesiac], agent = pool.take(registry, 1), pool.agent
    _deploy(registry, "kws@1", [iri_of(amnesiac)])
    _deploy(registry, "kws@2", [iri_of(amnesiac)])
    kept = agent.device_state(amnesiac)["previous"]["sha256"]
    (agent.state / device_id(f"urn:dev:test:{amnesiac}") / "models" / f"{kept}.tflite").unlink()
    iri, _ = start_rollback(registry, devices=[iri_of(amnesiac)])
    summary = rollout.run(registry, iri, rollout.Options(**FAST))
    failed = registry.deployments.records(DeploymentFilter(rollout=iri))[0]
    assert summary.counts == {"Failed": 1} and "missing or damaged" in failed["reason"]
    assert agent.device_state(amnesiac)["active"]["version"] == resolve_model(registry, "kws@2")
