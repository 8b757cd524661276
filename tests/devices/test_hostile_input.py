"""The issue's reproductions of files that crashed or stalled a reader, each now one `Invalid`
whose message names the file and the field (fuzz tests: test_fuzz.py)."""
from __future__ import annotations

import json

import pytest

from tinyreg.registry import Invalid
from tinyreg.registry.devices.register import add_device, list_devices
from tinyreg.registry.models.card import card_from_mapping, read_sidecar

from ..conftest import DATA
from .fuzz_files import ALIAS_BOMB

TD = (DATA / "devices" / "td11-tinyml.jsonld").read_text(encoding="utf-8")
ZEPHYR = (DATA / "devices" / "zephyr-nrf5340dk.yaml").read_text(encoding="utf-8")

CASES = [
    ("catalog.yaml", "boards: [1]\n", "catalog.yaml: catalog board #1 is a number (1), not a mapping"),
    ("board.yaml", ZEPHYR.replace("supported:\n  - gpio\n  - i2c\n  - usb_device\n  - netif:openthread",
                                  "supported: 5"),
     "board.yaml: supported is a number (5), not a list"),
    ("td.jsonld", TD.replace("262144", "9" * 400),
     "td.jsonld: ramBytes: a number of 400 digits is beyond the range of a double (about 1.8e308)"),
    # a context inside the document leaves the TD to pyld, which raised OverflowError on it
    ("pyld.jsonld", TD.replace('"flashBytes": 1048576', '"flashBytes": {"@context": {}, "x": 1e400}'),
     "pyld.jsonld: flashBytes.x: 1e400 is beyond the range of a double (about 1.8e308)"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "deep.json: invalid JSON: nested more than 64 levels deep"),
    ("deep.jsonld", TD.replace('"ramBytes": 262144', '"ramBytes": ' + "[" * 900 + "]" * 900),
     "deep.jsonld: invalid JSON: nested more than 64 levels deep"),  # json's RecursionError
    ("bomb.yaml", "identifier: x/y\narch: arm\nram: 64\n" + ALIAS_BOMB,
     "bomb.yaml: invalid YAML: its aliases expand it by more than 10,000 nodes; write the values "
     "out, or use fewer aliases"),
    ("loop.yaml", "identifier: x/y\narch: arm\nsupported: &s [*s]\n",
     "loop.yaml: invalid YAML: an alias refers to a node that contains it"),
    ("half.jsonld", TD.replace("Keyword spotter", "Keyword \\ud800spotter"),
     "half.jsonld: title: the text 'Keyword \\ud800spotter, line 3' holds half of a UTF-16 "
     "surrogate pair, which is not a character"),
    ("clock.jsonld", TD.replace('"clockHz": 64000000', '"clockHz": "' + "9" * 400 + '"'),
     "clock.jsonld: the clock of a number of 400 digits Hz is beyond any device (at most "
     "100000000000 Hz)"),
    ("id.jsonld", TD.replace('"urn:dev:ops:kws-node-17"', '["urn:dev:ops:kws-node-17"]'),
     "id.jsonld: id is a list, not text"),
    ("clock.yaml", "boards:\n- {id: x, name: X, source: 'https://x.example', clock_mhz: 1e400}\n",
     "clock.yaml: catalog board x: clock_mhz is not a clock in MHz: text ('1e400')"),
    ("huge.yaml", ZEPHYR.replace("ram: 448", "ram: '1e999999999'"),
     "huge.yaml: ram is not a number of a size any device has: '1e999999999'"),
    ("sensor.yaml", "boards:\n- {id: x, name: X, source: 'https://x.example', sensors: [{type: [[]]}]}\n",
     "sensor.yaml: catalog board x: sensors[0].type[0] is a list, not text"),
    ("pio.json", (DATA / "devices" / "nano33ble.json").read_text().replace(
        '"connectivity": ["bluetooth"]', '"connectivity": {"bluetooth": true}'),
     "pio.json: connectivity is a mapping, not a list"),
    ("decimal.ttl", '<http://x.example/d> a <http://w3id.org/s3n/SmartSensor> ; '
                    '<http://schema.org/name> "1E+99999999"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
     None),  # registered, its name as written (rdflib wrote it out as 100 million digits)
    ("deep.ttl", "<urn:a> <urn:b> " + "[ <urn:p> " * 100_000 + "1" + " ]" * 100_000 + " .",
     "deep.ttl: invalid Turtle: nested more than 64 levels deep"),
]


@pytest.mark.parametrize("name, text, message", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_file_is_one_clear_refusal(registry, store_kind, name, text, message):
    if message is None and store_kind == "virtuoso":
        # Virtuoso casts a typed literal as it stores it and refuses this one, on one line.
        message = "Can't convert CAST to numeric"
        with pytest.raises(Invalid, match=message):
            add_device(registry, text.encode("utf-8", "surrogatepass"), name)
        assert list_devices(registry) == []
        return
    if message is None:
        add_device(registry, text.encode("utf-8", "surrogatepass"), name)
        assert [row["name"] for row in list_devices(registry)] == ["1E+99999999"]
        return
    with pytest.raises(Invalid) as refused:
        add_device(registry, text.encode("utf-8", "surrogatepass"), name)
    assert refused.value.detail == message
    assert list_devices(registry) == []


@pytest.mark.parametrize("card, message", [
    ({"name": ["a", "b"]}, "the model card.name is a list, not text"),
    ({"name": "x", "metrics": [{"metric": "accuracy", "value": 1e400}]},
     "metric 'accuracy' has a value that is not a number: a number (inf)"),
    ({"name": "x", "metrics": [{"metric": "accuracy", "value": 10 ** 400}]},
     "metric 'accuracy' has a value that is not a number: a number of 401 characters"),
    ({"name": "x", "metrics": [5]}, "the model card.metrics[0] is a number (5), not a mapping"),
    ({"name": "x", "metrics": [{"metric": "f1", "value": 0.5, "slice": {"a": [[1]]}}]},
     "the model card.metrics[0].slice is a list, not text"),
    ({"name": "x", "sensors": 5}, "the model card.sensors is a number (5), not a list"),
    ({"name": "x", "task": {"a": 1}}, "the model card.task is a mapping, not text"),
    ({"name": "!!!"}, "cannot make an identifier from '!!!'"),
    ({"name": "x", 5: "y"}, "unknown model card field(s): 5; known: "),
])
def test_a_model_card_value_of_the_wrong_type_is_refused_naming_it(card, message):
    with pytest.raises(Invalid) as refused:
        card_from_mapping(card)
    assert refused.value.detail.startswith(message)


@pytest.mark.parametrize("suffix, text, message", [
    (".yaml", "name: x\nmetrics: &m [" + ", ".join(["*m"] * 2) + "]\n",
     "kws.yaml: invalid YAML: an alias refers to a node that contains it"),
    (".yaml", ALIAS_BOMB.replace("supported", "sensors"),
     "kws.yaml: invalid YAML: its aliases expand it by more than 10,000 nodes"),
    (".yaml", "name: !!python/object/apply:os.system ['true']\n", "kws.yaml: invalid YAML"),
    (".json", json.dumps({"name": "x"}).replace("}", ', "metrics": ' + "[" * 5000 + "]" * 5000 + "}"),
     "kws.json: invalid JSON: nested more than 64 levels deep"),
])
def test_a_hostile_sidecar_card_is_refused_naming_the_file(tmp_path, suffix, text, message):
    model = tmp_path / "kws.tflite"
    (tmp_path / f"kws{suffix}").write_text(text)
    with pytest.raises(Invalid) as refused:
        read_sidecar(model)
    assert refused.value.detail.startswith(message)
