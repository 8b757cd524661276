"""A registry holding a synthetic fleet, shared by the compatibility tests of one module."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tinyreg.registry import Registry, load_settings

from . import synthetic


@dataclass
class Fleet:
    registry: Registry
    models: dict[str, str]  # version IRI -> its N-Triples
    devices: dict[str, str]  # device IRI -> its N-Triples


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Fleet:
    settings = load_settings(environ={}, data_dir=str(tmp_path_factory.mktemp("compat") / "data"))
    registry = Registry(settings)
    registry.init()
    models, devices = dict(synthetic.models(60)), dict(synthetic.devices(250))
    registry.store.bulk_load(list(models.items()) + list(devices.items()))
    yield Fleet(registry, models, devices)
    registry.close()
