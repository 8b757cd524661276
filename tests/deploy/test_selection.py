"""Choosing devices: by name, by key=value filters (bound, never pasted), or by SPARQL."""
import json

import pytest

from tinyreg.deploy.protocol import find_forms
from tinyreg.deploy.selection import named_devices, where_devices
from tinyreg.registry import Invalid, NotFound
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.vocab import device_id

from .conftest import iri_of, make_td


@pytest.fixture
def boards(registry):
    tds = {"m4": make_td("m4"), "pi": make_td("pi", linux=True),
           "coap": dict(make_td("coap"), base="coap://10.0.0.9/",
                        actions={"deployModel": {"forms": [{"href": "model"}]}})}
    tds["m4"].update(vendor="Arduino", deviceGroup="https://example.org/groups/line-3")
    for name, td in tds.items():
        add_device(registry, json.dumps(td).encode(), f"{name}.jsonld")
    return registry


@pytest.mark.parametrize("where, expected", [
    ("runtime=TFLM", ["coap", "m4"]),
    ("kind=LinuxDevice", ["pi"]),
    ("vendor=Arduino,core=CortexM4F", ["m4"]),
    ("group=line-3", ["m4"]),
    ("group=https://example.org/groups/line-3", ["m4"]),
    ('vendor=Arduino" } ; DROP ALL ; SELECT * WHERE { "', []),
])
def test_filters_select_devices(boards, where, expected):
    assert where_devices(boards, where) == sorted(iri_of(n) for n in expected)


def test_a_sparql_query_selects_its_device_column(boards):
    query = ("PREFIX tr: <https://w3id.org/tinyreg/ontology#> "
             "SELECT ?device WHERE { ?device tr:vendor \"Arduino\" }")
    assert where_devices(boards, query) == [iri_of("m4")]


def test_an_update_is_not_a_selection(boards):
    with pytest.raises(Invalid):
        where_devices(boards, "PREFIX x: <urn:x> INSERT DATA { <urn:a> <urn:b> <urn:c> }")


def test_names_and_iris_both_work_and_unknown_ones_are_named(boards):
    assert named_devices(boards, ["urn:dev:test:m4", iri_of("pi")]) == [iri_of("m4"), iri_of("pi")]
    with pytest.raises(NotFound, match="no device ghost"):
        named_devices(boards, [device_id("urn:dev:test:m4"), "ghost"])


def test_only_http_forms_count(boards):
    forms = find_forms(boards, [iri_of("coap"), iri_of("m4")])
    assert forms == {iri_of("coap"): {}, iri_of("m4"): {}}
