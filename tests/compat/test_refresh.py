"""After writes, the engine refreshed from the store's change log answers exactly as an
engine built afresh from the store: same entities, names, verdicts and explanations."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tinyreg.registry import compat
from tinyreg.registry.compat.engine import Engine
from tinyreg.registry.store import changelog
from tinyreg.registry.store.base import revision_update_text
from tinyreg.registry.vocab import DEPLOYMENT_BASE, ID, META_GRAPH

from . import synthetic
from .test_agreement import _key

DEPLOYMENT = f"{ID}deployment/refresh-test"


def _assert_same(ours: Engine, fresh: Engine, rng: random.Random) -> None:
    assert ours.revision == fresh.revision
    assert ours.fleet.models == fresh.fleet.models and ours.fleet.devices == fresh.fleet.devices
    assert ours.fleet.model_names == fresh.fleet.model_names
    assert ours.fleet.device_names == fresh.fleet.device_names
    a, b = ours.matrix(), fresh.matrix()
    assert np.array_equal(a.fits, b.fits) and np.array_equal(a.warned, b.warned)
    for _ in range(25):
        m, d = rng.randrange(len(ours.fleet.models)), rng.randrange(len(ours.fleet.devices))
        assert _key(ours.results(m, d)) == _key(fresh.results(m, d))


def _index(iri: str) -> int:
    return int(iri.split("/syn-")[1].split("/")[0])


@pytest.fixture
def loaded(registry):
    registry.store.bulk_load(list(synthetic.models(25)) + list(synthetic.devices(120)))
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    return registry


def test_random_writes_refresh_to_the_verdicts_of_a_fresh_build(loaded):
    registry, store = loaded, loaded.store
    rng = random.Random(21)
    fresh_index = iter(range(1000, 2000))
    for round_ in range(6):
        engine = compat.fleet_engine(registry)
        models, devices = list(engine.fleet.models), list(engine.fleet.devices)
        # New devices and a model, others replaced by new random descriptions (a board may
        # become a Linux device, lose its RAM figure or its runtime), in one transaction...
        graphs = dict(synthetic.device_graph(next(fresh_index), rng) for _ in range(rng.randint(1, 3)))
        graphs.update((iri, synthetic.device_graph(_index(iri), rng)[1]) for iri in rng.sample(devices, 3))
        graphs.update((iri, synthetic.model_graph(_index(iri), rng)[1]) for iri in rng.sample(models, 2))
        graphs.update([synthetic.model_graph(next(fresh_index), rng)])
        store.put_graphs(graphs)
        # ...deletions, each a write of its own, and new graphs through the bulk path.
        store.delete_graph(rng.choice(devices))
        if round_ % 2:
            store.delete_graph(rng.choice(models))
        # Once, more devices at a time than are placed in the lists one by one.
        store.bulk_load([synthetic.device_graph(next(fresh_index), rng)
                         for _ in range(70 if round_ == 3 else 1)])
        refreshed = compat.fleet_engine(registry)
        assert refreshed.origin == "refreshed"
        _assert_same(refreshed, Engine.load(store), rng)


def test_writes_of_other_graphs_keep_the_compiled_engine(loaded):
    registry, store = loaded, loaded.store
    engine = compat.fleet_engine(registry)
    store.update_graphs(f'INSERT DATA {{ GRAPH <{DEPLOYMENT}> {{ <{DEPLOYMENT}> a '
                        f'<https://w3id.org/tinyreg/ontology#Deployment> }} }}', [DEPLOYMENT])
    kept = compat.fleet_engine(registry)
    assert kept.origin == "kept" and kept.compiled is engine.compiled
    assert kept.revision == store.revision() > engine.revision
    # A write that names its graphs by namespace (a rollout's activation) is looked into,
    # and kept when no model version or device lies there.
    store.update_graphs(f'DELETE WHERE {{ GRAPH <{DEPLOYMENT}> {{ ?s ?p ?o }} }}', [],
                        under=[f"{ID}deployment/"])
    assert compat.fleet_engine(registry).compiled is engine.compiled
    # A namespace holding devices refreshes them.
    device = engine.fleet.devices[0]
    store.update_graphs(f'DELETE WHERE {{ GRAPH <{device}> {{ ?s ?p ?o }} }}', [], under=[f"{ID}device/"])
    refreshed = compat.fleet_engine(registry)
    assert refreshed.origin == "refreshed" and device not in refreshed.fleet.devices
    _assert_same(refreshed, Engine.load(store), random.Random(2))


def test_a_deployment_only_write_reads_nothing_of_the_fleet(loaded, monkeypatch):
    """A deployment report is logged by its graph and by the deployments' namespace; neither
    can name a model version or a device, so the refresh asks the store only what changed."""
    registry, store = loaded, loaded.store
    engine = compat.fleet_engine(registry)
    asked: list[str] = []
    for name in ("table", "select"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda q, b=None, real=real: asked.append(q) or real(q, b))
    store.update_graphs(f'INSERT DATA {{ GRAPH <{DEPLOYMENT}> {{ <{DEPLOYMENT}> a '
                        f'<https://w3id.org/tinyreg/ontology#Deployment> }} }}', [DEPLOYMENT],
                        under=[DEPLOYMENT_BASE])
    asked.clear()
    kept = compat.fleet_engine(registry)
    assert kept.origin == "kept" and kept.compiled is engine.compiled
    assert kept.revision == store.revision()
    # Reads of the revision and the change log (the meta graph) only: no member scan,
    # reference query or device listing.
    assert asked and all(f"GRAPH <{META_GRAPH}>" in q for q in asked), asked


def test_what_the_log_cannot_vouch_for_is_read_again_whole(loaded, monkeypatch):
    registry, store = loaded, loaded.store
    rng = random.Random(5)
    # A change to the facts every device is read against (here a runtime's operators).
    store.put_graph(f"{ID}runtime-notes", "<https://w3id.org/tinyreg/ontology#TFLM> "
                    "<https://w3id.org/tinyreg/ontology#supportsOperator> <https://w3id.org/tinyreg/op/RFFT2D> .\n")
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    _assert_same(engine, Engine.load(store), rng)
    # An update that cannot say what it wrote.
    store.update(f'INSERT DATA {{ GRAPH <{ID}device/syn-0> {{ <{ID}device/syn-0> '
                 f'<https://w3id.org/tinyreg/ontology#usableRamBytes> 1 }} }} ;\n' + revision_update_text())
    assert compat.fleet_engine(registry).origin == "full"
    # More writes than the log keeps.
    monkeypatch.setattr(changelog, "LOG_ENTRIES", 3)
    for i in range(5):
        store.put_graph(*synthetic.device_graph(3000 + i, rng))
    engine = compat.fleet_engine(registry)
    assert engine.origin == "full"
    _assert_same(engine, Engine.load(store), rng)
