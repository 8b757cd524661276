"""A device submitted one file at a time is checked against the description shapes."""
import json

import pytest

from tinyreg.registry import Invalid
from tinyreg.registry.devices.register import add_device

TD = {"@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
      "id": "urn:dev:ops:kws-node-17", "title": "Keyword spotter",
      "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
      "ramBytes": 262144, "flashBytes": 1048576,
      "processor": {"mcu": "nRF52840", "core": "CortexM4F", "clockHz": 64000000},
      "runtimes": [{"runtime": "TFLM"}]}


def test_a_conforming_td_is_stored(registry):
    result = add_device(registry, json.dumps(TD).encode(), "node.td.jsonld")
    assert result.devices and registry.store.has_graph(result.devices[0])


def test_a_td_breaking_a_shape_is_refused_with_its_results_and_nothing_stored(registry):
    bad = dict(TD, processor=dict(TD["processor"], clockHz=0))
    before = registry.store.revision()
    with pytest.raises(Invalid) as caught:
        add_device(registry, json.dumps(bad).encode(), "node.td.jsonld")
    assert "breaks its shape" in caught.value.detail
    results = caught.value.extra["results"]
    assert any(r["severity"] == "violation" and r["path"].endswith("hasProcessor") for r in results)
    assert registry.store.revision() == before
