"""The device-side protocol, both halves: what a device's Thing Description offers, and how
the registry finds it in the device's graph.

A device that takes models over HTTP says so in its WoT Thing Description:

- action `deployModel`: the form's target, `htv:methodName` and `contentType` say where and
  how to send the model's bytes; the signed manifest travels in the `Tinyreg-Manifest` and
  `Tinyreg-Signature` request headers;
- action `rollbackModel`: re-activate the model the device kept, given a signed manifest
  (JSON body `{"manifest": …, "signature": …}`);
- property `activeModel`: what is active and what is kept, as JSON.

The registry never builds a device URL itself: the device importer keeps the TD's own
triples (`td:hasActionAffordance` / `td:hasForm` / `hctl:hasTarget` …) and `find_forms`
reads them. README.md ("Device-side protocol") is the reference for device authors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from tinyreg.registry import Registry
from tinyreg.registry.vocab import local_name, prefixes

from . import sparql

DEPLOY_ACTION = "deployModel"
ROLLBACK_ACTION = "rollbackModel"
ACTIVE_PROPERTY = "activeModel"
AFFORDANCES = (DEPLOY_ACTION, ROLLBACK_ACTION, ACTIVE_PROPERTY)

MANIFEST_HEADER = "Tinyreg-Manifest"
SIGNATURE_HEADER = "Tinyreg-Signature"
MODEL_MEDIA_TYPE = "application/vnd.tflite"
JSON_MEDIA_TYPE = "application/json"

# WoT Binding Templates: the method an operation implies when a form names none.
_DEFAULT_METHODS = {"readproperty": "GET", "writeproperty": "PUT", "invokeaction": "POST"}


@dataclass(frozen=True)
class Form:
    href: str
    method: str
    content_type: str

    def describe(self) -> str:
        return f"{self.method} {self.href} ({self.content_type})"


def affordances() -> dict:
    """The TD members a reference agent adds to its device's TD (hrefs relative to `base`)."""
    return {
        "properties": {ACTIVE_PROPERTY: {
            "title": "Active model", "type": "object", "readOnly": True,
            "description": "The active model's deployment, version and SHA-256, and the "
                           "one kept for rollback.",
            "forms": [{"href": "model", "op": "readproperty", "htv:methodName": "GET",
                       "contentType": JSON_MEDIA_TYPE}]}},
        "actions": {
            DEPLOY_ACTION: {
                "title": "Deploy a model",
                "description": "Body: the .tflite bytes. Headers: Tinyreg-Manifest (base64url "
                               "of the signed manifest) and Tinyreg-Signature (base64 Ed25519).",
                "forms": [{"href": "model", "op": "invokeaction", "htv:methodName": "PUT",
                           "contentType": MODEL_MEDIA_TYPE}]},
            ROLLBACK_ACTION: {
                "title": "Roll back to the kept model",
                "input": {"type": "object", "required": ["manifest", "signature"],
                          "properties": {"manifest": {"type": "string"},
                                         "signature": {"type": "string"}}},
                "forms": [{"href": "model/rollback", "op": "invokeaction",
                           "htv:methodName": "POST", "contentType": JSON_MEDIA_TYPE}]},
        },
    }


# A UNION of the two affordance kinds, not a property path, and the names filtered in
# Python: several times faster over a thousand device graphs.
_FORMS = prefixes("td", "hctl", "htv") + """
SELECT ?device ?name ?href ?method ?type ?op WHERE {
  %s
  GRAPH ?device {
    { ?device td:hasActionAffordance ?affordance } UNION { ?device td:hasPropertyAffordance ?affordance }
    ?affordance td:name ?name ; td:hasForm ?form .
    ?form hctl:hasTarget ?href .
    OPTIONAL { ?form htv:methodName ?method }
    OPTIONAL { ?form hctl:forContentType ?type }
    OPTIONAL { ?form hctl:hasOperationType ?op }
  }
}"""


def find_forms(registry: Registry, devices: Iterable[str]) -> dict[str, dict[str, Form]]:
    """For each device, its deploy/rollback/status forms by affordance name (HTTP ones only)."""
    devices = list(devices)
    found: dict[str, dict[str, Form]] = {d: {} for d in devices}
    if not devices:
        return found
    for row in registry.store.select(_FORMS % sparql.iris("device", devices)):
        href = str(row["href"])
        if row["name"] not in AFFORDANCES or not href.lower().startswith(("http://", "https://")):
            continue  # CoAP, MQTT…: not a binding the registry speaks
        op = (local_name(row.get("op")) or "").lower()
        method = str(row.get("method") or _DEFAULT_METHODS.get(op, "POST")).upper()
        form = Form(href, method, str(row.get("type") or JSON_MEDIA_TYPE))
        found[row["device"]].setdefault(str(row["name"]), form)
    return found
