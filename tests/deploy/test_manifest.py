"""Signed manifests: what a device accepts and what it must refuse."""
import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tinyreg.deploy import manifest

FIELDS = dict(action="deploy", deployment="https://w3id.org/tinyreg/id/deployment/a-0",
              device="https://w3id.org/tinyreg/id/device/d", device_id="urn:dev:d", sequence=7,
              model="https://w3id.org/tinyreg/id/model/m",
              version="https://w3id.org/tinyreg/id/model/m/v1", version_number=1, sha256="ab" * 32,
              byte_size=912, media_type="application/vnd.tflite",
              registry="https://w3id.org/tinyreg/id/registry", issued="2026-11-21T08:00:00+00:00")


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def test_a_signed_manifest_verifies_with_the_public_key(key):
    text, signature = manifest.sign(key, **FIELDS).encoded()
    fields = manifest.verify(key.public_key(), text, signature)
    assert fields["sha256"] == "ab" * 32 and fields["byteSize"] == 912
    assert fields["device"] == FIELDS["device"] and fields["action"] == "deploy"
    assert fields["deviceId"] == "urn:dev:d" and fields["sequence"] == 7


def test_the_manifest_is_canonical_json(key):
    signed = manifest.sign(key, **FIELDS)
    assert signed.body == manifest.canonical(json.loads(signed.body))
    assert b" " not in signed.body


def test_another_key_is_refused_as_a_signature_problem(key):
    text, signature = manifest.sign(Ed25519PrivateKey.generate(), **FIELDS).encoded()
    with pytest.raises(manifest.ManifestError) as caught:
        manifest.verify(key.public_key(), text, signature)
    assert caught.value.signature


def test_a_changed_byte_breaks_the_signature(key):
    signed = manifest.sign(key, **FIELDS)
    tampered = signed.body.replace(b'"byteSize":912', b'"byteSize":913')
    text = base64.urlsafe_b64encode(tampered).decode()
    with pytest.raises(manifest.ManifestError) as caught:
        manifest.verify(key.public_key(), text, signed.encoded()[1])
    assert caught.value.signature


def test_a_well_signed_manifest_with_bad_content_is_refused(key):
    body = manifest.canonical({"tinyregManifest": 1, "action": "deploy"})
    text = base64.urlsafe_b64encode(body).decode()
    signature = base64.b64encode(key.sign(body)).decode()
    with pytest.raises(manifest.ManifestError, match="'deployment' is missing") as caught:
        manifest.verify(key.public_key(), text, signature)
    assert not caught.value.signature


def test_garbage_is_refused_without_a_traceback(key):
    with pytest.raises(manifest.ManifestError, match="base64"):
        manifest.verify(key.public_key(), "%%%", "***")


def test_signing_refuses_a_digest_that_is_not_sha256(key):
    with pytest.raises(manifest.ManifestError, match="sha256"):
        manifest.sign(key, **dict(FIELDS, sha256="xyz"))


def test_signing_refuses_a_sequence_below_one(key):
    with pytest.raises(manifest.ManifestError, match="sequence"):
        manifest.sign(key, **dict(FIELDS, sequence=0))


def test_a_manifest_of_the_first_format_is_refused(key):
    fields = json.loads(manifest.sign(key, **FIELDS).body)
    del fields["sequence"], fields["deviceId"]
    fields["tinyregManifest"] = 1
    body = manifest.canonical(fields)
    text = base64.urlsafe_b64encode(body).decode()
    with pytest.raises(manifest.ManifestError, match="missing") as caught:
        manifest.verify(key.public_key(), text, base64.b64encode(key.sign(body)).decode())
    assert not caught.value.signature
