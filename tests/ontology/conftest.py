"""A registry with every kind of fact the competency questions ask about.

The seed is built once per session by the registry's own code: the board catalog, the demo
models measured on TFLM (one of which TFLM refuses, so its arena is an estimate), the
research prototype's Turtle (declared figures), and deployments recorded by deploy/,
some of them active. Each module gets a copy on each store, like the web tests.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
import rdflib

from tinyreg.deploy import records
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.vocab import device_iri, version_iri

from ..conftest import DATA, registry_from_seed


@dataclass(frozen=True)
class Deployed:
    """What the seed deployed, for the answers the tests expect."""
    active: frozenset[tuple[str, str]]      # (device, version) pairs that run now
    inactive: frozenset[tuple[str, str]]    # pairs recorded but superseded or never sent


def _deploy(registry: Registry) -> Deployed:
    kws, wand = version_iri("kws-micro", 1), version_iri("magic-wand", 1)
    nano, nicla, esp = (device_iri(s) for s in ("arduino-nano-33-ble-sense-rev2",
                                                "arduino-nicla-vision", "esp32-s3-devkitc-1-n8"))
    first = records.NewRollout(records.rollout_iri("cq-first"), kws, [2], 0.5, 1, "test",
                               deployments=[records.NewDeployment(records.new_deployment_iri("cq-first", i),
                                                                  dev, kws, 0, "http")
                                            for i, dev in enumerate((nano, nicla))])
    second = records.NewRollout(records.rollout_iri("cq-second"), wand, [2], 0.5, 1, "test",
                                deployments=[records.NewDeployment(records.new_deployment_iri("cq-second", i),
                                                                   dev, wand, 0, "http")
                                             for i, dev in enumerate((nano, esp))])
    records.create(registry, first)
    records.activate(registry, [records.Change(d.iri, records.ACTIVE, ended=True) for d in first.deployments],
                     {d.iri: d.device for d in first.deployments})
    records.create(registry, second)
    # The Nano's first deployment steps aside; the ESP32's stays pending, never active.
    replacing = second.deployments[0]
    records.activate(registry, [records.Change(replacing.iri, records.ACTIVE, ended=True)],
                     {replacing.iri: replacing.device})
    return Deployed(active=frozenset({(nano, wand), (nicla, kws)}),
                    inactive=frozenset({(nano, kws), (esp, wand)}))


@pytest.fixture(scope="session")
def cq_seed(tmp_path_factory, demo_seed):
    data = tmp_path_factory.mktemp("cq-seed") / "data"
    shutil.copytree(demo_seed, data)
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        add_device(registry, (DATA / "devices" / "prototype.ttl").read_bytes(), "prototype.ttl")
        # The catalog's Ethos-U55 kit states device totals only; this node states usable RAM.
        add_device(registry, (DATA / "devices" / "ethos-u55-node.jsonld").read_bytes(), "ethos-u55-node.jsonld")
        deployed = _deploy(registry)
    return data, deployed


@pytest.fixture(scope="module")
def cq_registry(cq_seed, tmp_path_factory, module_store_settings):
    """A copy of the seed on this module's store, and what was deployed in it."""
    seed, deployed = cq_seed
    registry = registry_from_seed(seed, tmp_path_factory.mktemp("cq") / "data", module_store_settings)
    yield registry, deployed
    registry.close()


@pytest.fixture(scope="module")
def cq_data(cq_registry) -> rdflib.Graph:
    """Every graph of the store in one rdflib graph: what the expected answers are read from."""
    registry, _ = cq_registry
    graph = rdflib.Graph()
    for name in registry.store.graph_names():
        graph += registry.store.get_graph(name)
    return graph
