"""Namespaces and IRI minting, shared by every importer and query.

Entity IRIs live under one base so that a graph name equals its entity's IRI; user text
only ever enters an IRI through `slug()` or `device_id()`, which keep it to a safe alphabet.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

# Every graph the registry writes is named under this root (ontology, shapes, ID).
REGISTRY_ROOT = "https://w3id.org/tinyreg/"
TR = Namespace("https://w3id.org/tinyreg/ontology#")
ONTOLOGY_IRI = "https://w3id.org/tinyreg/ontology"
SHAPES_IRI = "https://w3id.org/tinyreg/shapes"
OP = Namespace("https://w3id.org/tinyreg/op/")
# SPARQL functions the registry answers (registry/sparql_functions.py).
TRF = Namespace("https://w3id.org/tinyreg/function#")
FUNCTION_NS = str(TRF)
ID = "https://w3id.org/tinyreg/id/"
META_GRAPH = "urn:tinyreg:meta"

TD = Namespace("https://www.w3.org/2019/wot/td#")
HCTL = Namespace("https://www.w3.org/2019/wot/hypermedia#")
HTV = Namespace("http://www.w3.org/2011/http#")
WOTSEC = Namespace("https://www.w3.org/2019/wot/security#")
JSONSCHEMA = Namespace("https://www.w3.org/2019/wot/json-schema#")
SOSA = Namespace("http://www.w3.org/ns/sosa/")
SSN = Namespace("http://www.w3.org/ns/ssn/")
SSN_SYSTEM = Namespace("http://www.w3.org/ns/ssn/systems/")
S3N = Namespace("http://w3id.org/s3n/")
SCHEMA = Namespace("https://schema.org/")
SCHEMA_HTTP = Namespace("http://schema.org/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
OM = Namespace("http://www.ontology-of-units-of-measure.org/resource/om-2/")
FAIR4ML = Namespace("https://w3id.org/fair4ml#")
MLS = Namespace("http://www.w3.org/ns/mls#")

PREFIXES = {
    "tr": str(TR), "trf": FUNCTION_NS, "op": str(OP), "td": str(TD), "hctl": str(HCTL),
    "htv": str(HTV),
    "wotsec": str(WOTSEC),
    "jsonschema": str(JSONSCHEMA), "sosa": str(SOSA), "ssn": str(SSN),
    "ssn-system": str(SSN_SYSTEM), "s3n": str(S3N), "schema": str(SCHEMA), "qudt": str(QUDT),
    "unit": str(UNIT), "om": str(OM), "prov": str(PROV), "dcterms": str(DCTERMS),
    "fair4ml": str(FAIR4ML), "mls": str(MLS), "rdf": str(RDF), "rdfs": str(RDFS),
    "owl": str(OWL), "xsd": str(XSD),
}

_SLUG_BAD = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A lowercase, dash-separated identifier safe to put in an IRI path."""
    out = _slug_text(text)
    if not out:
        raise ValueError(f"cannot make an identifier from {text!r}")
    return out[:120]


def _slug_text(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG_BAD.sub("-", ascii_text.lower()).strip("-")


def model_iri(model_slug: str) -> str:
    return f"{ID}model/{slug(model_slug)}"


def version_iri(model_slug: str, number: int) -> str:
    return f"{model_iri(model_slug)}/v{int(number)}"


DEVICE_BASE = f"{ID}device/"
MAX_DEVICE_ID = 120
_BASE32, _SHIFTS = "abcdefghijklmnopqrstuvwxyz234567", range(35, -1, -5)
_KEPT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MINTED_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*--[a-z2-7]{8}")


@lru_cache(maxsize=4096)  # a TD's id is minted for its triples and again for its record
def device_id(source_id: str) -> str:
    """The identifier of the device its source names `source_id` (a TD's id, a catalog
    board's id, "zephyr-" and a Zephyr target...).

    An id already made of lowercase letters, digits and single dashes is kept as it is.
    Any other is slugged for reading, and two dashes and 8 characters of the SHA-256 of
    the exact id are appended, since slugging lost something: `urn:a:b`, `URN:A:B` and
    `urn-a:b` stay three devices. Injective: a kept id never holds two dashes in a row and
    a minted one always does, and two minted ones are equal only when the digests of their
    ids are (tests/core/test_device_ids.py checks it over a generated corpus).
    """
    if len(source_id) <= MAX_DEVICE_ID and _KEPT_ID.fullmatch(source_id):
        return source_id
    readable = _slug_text(source_id)[:MAX_DEVICE_ID - 10].strip("-") or "id"
    # base32 of the digest's first 5 bytes (what b32encode gives, four times faster)
    bits = int.from_bytes(hashlib.sha256(source_id.encode("utf-8", "surrogatepass")).digest()[:5])
    return f"{readable}--{''.join(_BASE32[(bits >> shift) & 31] for shift in _SHIFTS)}"


def is_device_id(text: str) -> bool:
    """Whether `text` is an identifier `device_id` can give."""
    return len(text) <= MAX_DEVICE_ID and bool(_KEPT_ID.fullmatch(text) or _MINTED_ID.fullmatch(text))


def device_iri(identifier: str) -> str:
    """The IRI of the device with this identifier (see `device_id` for a source's id)."""
    if not is_device_id(identifier):
        raise ValueError(f"not a device identifier: {identifier[:80]!r}")
    return DEVICE_BASE + identifier


def artifact_iri(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"urn:sha256:{sha256}"


def operator_iri(name: str, custom: bool = False) -> str:
    """Builtin ops by their TFLite enum name (CONV_2D); custom ops under custom/, percent-encoded."""
    if custom:
        return f"{OP}custom/{quote(name, safe='')}"
    if not re.fullmatch(r"[A-Z0-9_]+", name):
        raise ValueError(f"not a builtin operator name: {name!r}")
    return f"{OP}{name}"


DEPLOYMENT_BASE = f"{ID}deployment/"
ROLLOUT_BASE = f"{ID}rollout/"
# Namespaces whose graphs are minted here for records, never for a model version or a
# device: a cache of those may pass over a write logged under one of them.
RECORD_BASES = (DEPLOYMENT_BASE, ROLLOUT_BASE)


def deployment_iri(token: str) -> str:
    return f"{DEPLOYMENT_BASE}{slug(token)}"


def prefixes(*names: str) -> str:
    """SPARQL PREFIX lines for these names of `PREFIXES`, for query text written here: the
    namespaces are spelled once, in this module."""
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names)


def local_name(iri) -> str | None:
    """The part of an IRI after its last `#` or `/`: tr:CortexM4 -> CortexM4, a device's IRI
    -> its identifier. None stays None."""
    if iri is None:
        return None
    text = str(iri)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rstrip("/").rsplit("/", 1)[-1]
