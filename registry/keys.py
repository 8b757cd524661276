"""The registry's signing key and the self-description that publishes its public half.

The key is Ed25519, made once per data directory by `init` and kept in `signing-key.pem`
(mode 0600). Devices are given the public key (base64 of its 32 raw bytes) as their trust
anchor; anyone can read it from the registry's own graph:

    <https://w3id.org/tinyreg/id/registry> a tr:Registry ; tr:publicKey "…" .

Key management lives in the core because `init` creates the key; signing what is sent to
devices is deploy/'s business (deploy/manifest.py).
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rdflib.namespace import RDF

from .errors import Invalid, Unavailable
from .store import IRI, Store
from .vocab import ID, SCHEMA, TR

REGISTRY_IRI = f"{ID}registry"
KEY_FILE = "signing-key.pem"


def key_path(data_path: Path) -> Path:
    return Path(data_path) / KEY_FILE


def ensure_key(data_path: Path) -> Ed25519PrivateKey:
    """The data directory's signing key, created (readable by its owner only) if missing."""
    path = key_path(data_path)
    if path.exists():
        return load_key(data_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        # O_EXCL: two processes initialising at once must not both write a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_key(data_path)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    return key


def load_key(data_path: Path) -> Ed25519PrivateKey:
    path = key_path(data_path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise Unavailable(f"no signing key at {path}; run `tinyreg init`") from None
    except (OSError, ValueError) as exc:
        raise Unavailable(f"cannot read the signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise Unavailable(f"the signing key {path} is not an Ed25519 key")
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Base64 of the raw 32-byte public key: the form devices are configured with."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key from its base64 form (as `public_key_text` writes it)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise Invalid("not an Ed25519 public key (expected base64 of 32 bytes)") from None


def self_description(public_key: str) -> str:
    """The registry's own graph as N-Triples (the key is base64: no escaping needed)."""
    s = f"<{REGISTRY_IRI}>"
    return (f"{s} <{RDF.type}> <{TR.Registry}> .\n"
            f'{s} <{SCHEMA.name}> "tinyreg" .\n'
            f'{s} <{TR.publicKey}> "{public_key}" .\n')


def publish_key(store: Store, data_path: Path) -> str:
    """Create the key if needed and make sure the store publishes its public half."""
    public = public_key_text(ensure_key(data_path))
    published = store.select("SELECT ?k WHERE { GRAPH ?g { ?g ?p ?k } }",
                             {"g": IRI(REGISTRY_IRI), "p": IRI(str(TR.publicKey))})
    if [row["k"] for row in published] != [public]:
        store.put_graph(REGISTRY_IRI, self_description(public))
    return public
