"""Enrolment: a device's public key travels in its Thing Description and lands in its graph
as tr:devicePublicKey; only that key signs for the device."""
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from click.testing import CliRunner

from tinyreg.deploy.assignments import authenticate
from tinyreg.deploy.device_requests import RequestSigner
from tinyreg.registry import Invalid
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.errors import Unauthorized
from tinyreg.registry.keys import public_key_text
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import TR
from tinyreg.web.cli import cli

from .conftest import iri_of, make_td


def _enrolled(registry, name: str, key: Ed25519PrivateKey) -> None:
    td = dict(make_td(name), publicKey=public_key_text(key))
    add_device(registry, json.dumps(td).encode(), f"{name}.td.jsonld")


def test_the_td_key_is_stored_in_the_device_graph(registry):
    key = Ed25519PrivateKey.generate()
    _enrolled(registry, "keyed", key)
    rows = registry.store.select("SELECT ?k WHERE { GRAPH ?d { ?d ?p ?k } }",
                                 {"d": IRI(iri_of("keyed")), "p": IRI(str(TR.devicePublicKey))})
    assert [r["k"] for r in rows] == [public_key_text(key)]


def test_only_the_enrolled_key_signs_for_the_device_and_enrolling_again_replaces_it(registry):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    _enrolled(registry, "rotated", old)
    resource = "devices/x/assignment"
    headers = RequestSigner(iri_of("rotated"), old).headers("GET", resource)
    assert authenticate(registry, headers, "GET", resource) == iri_of("rotated")
    _enrolled(registry, "rotated", new)
    with pytest.raises(Unauthorized, match="does not verify"):
        authenticate(registry, RequestSigner(iri_of("rotated"), old).headers("GET", resource),
                     "GET", resource)
    assert authenticate(registry, RequestSigner(iri_of("rotated"), new).headers(
        "GET", resource), "GET", resource) == iri_of("rotated")
    # A body other than the one signed does not pass either.
    signed = RequestSigner(iri_of("rotated"), new).headers("POST", resource, b"{}")
    with pytest.raises(Unauthorized, match="does not verify"):
        authenticate(registry, signed, "POST", resource, b'{"status": "active"}')


def test_a_bad_key_in_a_td_is_refused(registry):
    td = dict(make_td("badkey"), publicKey="not-a-key")
    with pytest.raises(Invalid, match="publicKey 'not-a-key' is not an Ed25519 public key"):
        add_device(registry, json.dumps(td).encode(), "badkey.td.jsonld")
    assert not registry.store.has_graph(iri_of("badkey"))


def test_a_bad_key_is_one_line_and_exit_2_on_the_command_line(data_dir, tmp_path):
    path = tmp_path / "badkey.td.jsonld"
    path.write_text(json.dumps(dict(make_td("badkey"), publicKey=["a", "b"])))
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "device", "add", str(path)])
    assert result.exit_code == 2, result.output
    assert "publickey" in result.output.lower() and len(result.output.strip().splitlines()) == 1
