"""The OpenAPI 3.1 description of /api, served at /api/openapi.json and tested against the app."""
from __future__ import annotations

import functools

from tinyreg.registry.deployments import STATUSES
from tinyreg.registry.facets import DEVICE_FACETS, MODEL_FACETS
from tinyreg.registry.listing import DEVICE_SORTS, MODEL_SORTS
from tinyreg.registry.words import METRICS, TASKS, word

PROBLEM = {"$ref": "#/components/responses/Problem"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _rdf_or_json(schema: dict) -> dict:
    content = {"application/json": {"schema": schema}}
    for media in ("application/ld+json", "text/turtle", "application/n-triples",
                  "application/rdf+xml"):
        content[media] = {"schema": {"type": "string"}}
    return {"description": "The entity: JSON by default, its graph in an RDF syntax on request.",
            "content": content}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _sort(fields: tuple[str, ...]) -> dict:
    return _query("sort", {"type": "string", "enum": [*fields, *(f"-{f}" for f in fields)]},
                  "Order by this field; -field for descending. Rows without it come last.")


_PAGE = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                "Page size (default 50)."),
         _query("offset", {"type": "integer", "minimum": 0}, "Rows to skip."),
         _query("q", {"type": "string"}, "Case-insensitive text search.")]
_FORMAT = _query("format", {"type": "string",
                            "enum": ["json", "turtle", "ntriples", "rdfxml", "jsonld"]},
                 "Representation (instead of the Accept header).")
_WRITE = [{"bearerAuth": []}]
_EXPLAIN = _query("explain", {"type": "string", "enum": ["0", "1"]},
                  "1: also the pairs whose answer is unknown, then those that do not fit, each "
                  "with the results that say why.")
_RUNS_ONLY = _query("runs_only", {"type": "string", "enum": ["0", "1"]},
                    "1: ask whether the model runs (memory, runtime, operators, number format, "
                    "accelerator), leaving the sensors it names aside.")
_LATENCY = [_query("max_latency_ms", {"type": "number", "minimum": 0},
                   "Only pairs whose estimated latency is at most this many ms (an unknown one is not)."),
            _query("sort", {"type": "string", "enum": ["fit", "latency"]},
                   "latency: fastest first among the fitting, then among the others.")]
_LATENCY_MS = {"type": "object", "required": ["estimate", "low", "high", "runtime", "calibrated"],
               "description": "The fastest latency estimate of the pair in ms, with its band.",
               "properties": {"estimate": {"type": "number"}, "low": {"type": "number"},
                              "high": {"type": "number"}, "runtime": {"type": "string"},
                              "runtime_name": {"type": "string"}, "calibrated": {"type": "boolean"}}}
_WRITE_ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "413": PROBLEM}


def _page_of(item: str) -> dict:
    return {"type": "object", "required": ["items", "total", "limit", "offset"],
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "total": {"type": "integer"}, "limit": {"type": "integer"},
                           "offset": {"type": "integer"},
                           "facets": {"type": "object", "additionalProperties": {
                               "$ref": "#/components/schemas/Facet"}}}}


def _facet(names) -> dict:
    return {"name": "_facet", "in": "query", "required": False, "style": "form", "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": list(names)}},
            "description": "Count the values of these facets over every row the filters keep "
                           "(repeat it, or separate names by commas); the answer's `facets` "
                           "holds each value with its count, most frequent first."}


# What the API takes for a model version and a device. The documented forms are a subset
# that always parses (any text with a letter or digit to make a slug from, or a plain http(s)
# IRI); anything else is refused with a problem, never a 500.
_IRI = r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(/[A-Za-z0-9._~-]+)*/?"
_NAME = r"(?!https?://|urn:)[^@/\n]*[A-Za-z0-9][^@/\n]*"
_MODEL_REF = rf"^({_IRI}|{_NAME}(@[0-9]+)?)$"
_DEVICE_REF = rf"^({_IRI}|{_NAME})$"
_ID = r"[A-Za-z0-9][A-Za-z0-9-]*"
_MODEL_LIST = rf"^{_ID}(@[0-9]+)?(,{_ID}(@[0-9]+)?)*$"
_DEVICE_LIST = rf"^{_ID}(,{_ID})*$"


def _path(name: str, pattern: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": pattern}}


def _required(name: str, schema: dict, description: str) -> dict:
    return {**_query(name, schema, description), "required": True}


def _delta(name: str, what: str) -> dict:
    return _query(name, {"type": "integer", "minimum": -2**50, "maximum": 2**50},
                  f"Bytes more {what} (negative: fewer).")


def _words(table: dict) -> list[str]:
    """The words people type for tasks or metrics (registry/words.py); aliases, ontology
    names and IRIs are accepted too."""
    return sorted({word(iri) for iri in table.values()})


_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_STR = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_BOOL_ROWS = {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}}
# yes, no or unknown (null) per pair
_ANSWER = {"type": ["boolean", "null"]}
_ANSWER_ROWS = {"type": "array", "items": {"type": "array", "items": _ANSWER}}
_HEADROOM = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["needed", "items", "available", "difference"],
    "properties": {"needed": {"type": "integer"}, "items": {"type": "array"},
                   "capacity": {"type": "integer"}, "capacity_kind": {"enum": ["usable", "total"]},
                   "reserved": {"type": "integer"}, "available": {"type": "integer"},
                   "difference": {"type": "integer"}, "region": {"type": "object"}}}}
_RESULTS = {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}
_MATCH = {"$ref": "#/components/schemas/Match"}
_OUTCOME = {"type": "string", "description": "The state as people read it: a completed rollout "
            "that installed nothing says \"Refused: nothing sent\" (every device refused) or "
            "\"Completed: nothing installed\"."}


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "tinyreg API", "version": "0.1.0",
                 "description": "TinyML models and the devices they fit. Errors are RFC 7807 "
                                "problem details (application/problem+json)."},
        "paths": {
            "/api": {"get": {"summary": "Links to the API's collections and documents",
                             "responses": {"200": _json({"type": "object"})}}},
            "/api/stats": {"get": {
                "summary": "Counts of models, versions, devices, deployments and graphs",
                "responses": {"200": _json({"$ref": "#/components/schemas/Stats"})}}},
            "/api/devices": {
                "get": {"summary": "Registered devices, filtered and paged",
                        "parameters": _PAGE + [
                            _query("kind", {"type": "string"}, "MicrocontrollerBoard or LinuxDevice."),
                            _query("core", {"type": "string"}, "Core, e.g. CortexM4F."),
                            _query("format", {"type": "string"}, "Source format, e.g. catalog."),
                            _query("min_ram", {"type": "integer", "minimum": 0}, "Bytes of RAM at least."),
                            _query("min_flash", {"type": "integer", "minimum": 0}, "Bytes of flash at least."),
                            _query("max_ram", {"type": "integer", "minimum": 0},
                                   "Bytes of RAM at most (a device of unknown RAM is left out)."),
                            _query("vendor", {"type": "string"}, "Vendor, e.g. Arduino."),
                            _query("sensor", {"type": "string"}, "Has a sensor of this kind (or "
                                   "a part of one), e.g. Microphone or InertialSensor."),
                            _query("runtime", {"type": "string"}, "Runtime, e.g. TFLM."),
                            _query("connectivity", {"type": "string"}, "Connectivity, e.g. BLE."),
                            _query("fits", {"type": "string", "pattern": _MODEL_REF},
                                   "The devices this model version fits (slug: its latest)."),
                            _sort(DEVICE_SORTS), _facet(DEVICE_FACETS)],
                        "responses": {"200": _json(_page_of("DeviceRow")), "400": PROBLEM,
                                      "404": PROBLEM}},
                "post": {"summary": "Register a device from a WoT TD, board manifest, Zephyr YAML or Turtle",
                         "security": _WRITE,
                         "requestBody": {"required": True, "content": {
                             "multipart/form-data": {"schema": {
                                 "type": "object", "required": ["file"],
                                 "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                         "responses": {"201": _json({"$ref": "#/components/schemas/DeviceAdded"},
                                                    "Registered"), **_WRITE_ERRORS}}},
            "/api/devices/{device_id}": {"get": {
                "summary": "One device",
                "parameters": [{"name": "device_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}, _FORMAT],
                "responses": {"200": _rdf_or_json({"$ref": "#/components/schemas/Device"}),
                              "400": PROBLEM, "404": PROBLEM, "406": PROBLEM}}},
            "/api/models": {
                "get": {"summary": "Registered models, filtered and paged",
                        "parameters": _PAGE + [_query("task", {"type": "string", "enum": _words(TASKS)},
                                                      "Task, e.g. keyword-spotting (its IRI "
                                                      "or the ontology's name are accepted "
                                                      "too)."),
                                               _sort(MODEL_SORTS), _facet(MODEL_FACETS)],
                        "responses": {"200": _json(_page_of("ModelRow")), "400": PROBLEM}},
                "post": {"summary": "Register a .tflite model version (measured on TFLM)",
                         "security": _WRITE,
                         "requestBody": {"required": True, "content": {
                             "multipart/form-data": {"schema": {
                                 "type": "object", "required": ["file"],
                                 "properties": {
                                     "file": {"type": "string", "format": "binary"},
                                     "name": {"type": "string"}, "task": {"type": "string"},
                                     "sensors": {"type": "string"}, "license": {"type": "string"},
                                     "creator": {"type": "string"}, "source": {"type": "string"},
                                     "card": {"type": "string", "description": "The model card as JSON."},
                                     "metrics": {"type": "string", "description": "JSON list of metrics."}}}}}},
                         "responses": {"201": _json({"$ref": "#/components/schemas/ModelAdded"}, "Registered"),
                                       "200": _json({"$ref": "#/components/schemas/ModelAdded"},
                                                    "Already registered"), **_WRITE_ERRORS}}},
            "/api/models/{ref}": {"get": {
                "summary": "One model version: `slug` (latest), `slug@N` or its IRI",
                "parameters": [{"name": "ref", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": _MODEL_REF}}, _FORMAT],
                "responses": {"200": _rdf_or_json({"$ref": "#/components/schemas/ModelVersion"}),
                              "400": PROBLEM, "404": PROBLEM, "406": PROBLEM}}},
            "/api/models/{ref}/versions": {"get": {
                "summary": "The model's newest versions (8), newest first, with the figures "
                           "the model page compares and each one's lineage (revision_of)",
                "parameters": [_path("ref", _MODEL_REF)],
                "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/VersionFigures"}}}}),
                    "400": PROBLEM, "404": PROBLEM}}},
            "/api/models/{ref}/file": {"get": {
                "summary": "The version's .tflite file as stored (read-only: no token). The "
                           "ETag is the file's SHA-256 as the registry holds it",
                "parameters": [_path("ref", _MODEL_REF)],
                "responses": {
                    "200": {"description": "The file (Content-Disposition names it slug-vN.tflite)",
                            "headers": {"ETag": {"schema": {"type": "string"},
                                                 "description": "The SHA-256 of the bytes, quoted."}},
                            "content": {"application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}}}},
                    "304": {"description": "Not modified (If-None-Match named this digest)"},
                    "400": PROBLEM, "404": PROBLEM}}},
            "/api/models/{ref}/devices": {"get": {
                "summary": "The devices a model version fits (fitting first); with explain=1 "
                           "the others too, each with the results that rule it out",
                "parameters": [_path("ref", _MODEL_REF), _EXPLAIN, _RUNS_ONLY] + _PAGE[:2] + _LATENCY,
                "responses": {"200": _json({"$ref": "#/components/schemas/Matches"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/devices/{device_id}/models": {"get": {
                "summary": "The model versions a device can run; with explain=1 the others too",
                "parameters": [{"name": "device_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}, _EXPLAIN, _RUNS_ONLY] + _PAGE[:2] + _LATENCY,
                "responses": {"200": _json({"$ref": "#/components/schemas/Matches"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/models/{ref}/what-if": {"get": {
                "summary": "The devices a model version would win or lose if it needed more "
                           "(or less) arena or flash",
                "parameters": [_path("ref", _MODEL_REF), _delta("arena_delta", "of tensor arena"),
                               _delta("flash_delta", "of flash"), _EXPLAIN, _PAGE[0]],
                "responses": {"200": _json({"$ref": "#/components/schemas/WhatIf"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/devices/{device_id}/what-if": {"get": {
                "summary": "The model versions a device would win or lose with more (or less) "
                           "RAM or flash",
                "parameters": [{"name": "device_id", "in": "path", "required": True,
                                "schema": {"type": "string"}},
                               _delta("ram_delta", "of RAM"), _delta("flash_delta", "of flash"),
                               _EXPLAIN, _PAGE[0]],
                "responses": {"200": _json({"$ref": "#/components/schemas/WhatIf"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/compat/check": {"get": {
                "summary": "Does this model version fit this device, and why (not)?",
                "parameters": [
                    _required("model", {"type": "string", "pattern": _MODEL_REF},
                              "Model version: slug (latest version), slug@N or IRI."),
                    _required("device", {"type": "string", "pattern": _DEVICE_REF},
                              "Device: identifier or IRI.")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Verdict"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/compat/matrix": {"get": {
                "summary": "Fit of the model versions (all, or `models`) on the devices listed "
                           "in `devices`, or on a page of all devices",
                "parameters": [
                    _query("models", {"type": "string", "pattern": _MODEL_LIST},
                           "Comma-separated model versions (slug or slug@N)."),
                    _query("devices", {"type": "string", "pattern": _DEVICE_LIST},
                           "Comma-separated device identifiers."),
                    _query("reasons", {"type": "boolean"}, "Add `reasons`: for each pair that "
                           "does not fit, the first result that rules it out (null where it fits).")
                ] + _PAGE[:2],
                "responses": {"200": _json({"$ref": "#/components/schemas/MatrixSlice"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/compat/best": {"get": {
                "summary": "Model versions for a task that fit a device, best metric first",
                "parameters": [
                    _required("device", {"type": "string", "pattern": _DEVICE_REF},
                              "Device: identifier or IRI."),
                    _required("task", {"type": "string", "enum": _words(TASKS)},
                              "ML task, e.g. keyword-spotting."),
                    _required("metric", {"type": "string", "enum": _words(METRICS)},
                              "Metric, e.g. accuracy (lower-is-better metrics rank ascending)."),
                    _query("slice", {"type": "string"}, "Rank by the value on this evaluation "
                                                        "slice, e.g. lighting=dim."),
                    _EXPLAIN, _LATENCY[0]],
                "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Ranked"}}}}),
                    "400": PROBLEM, "404": PROBLEM}}},
            "/api/deployments": {"get": {
                "summary": "Deployments, newest first, filtered and paged",
                "parameters": [
                    _query("device", {"type": "string", "pattern": _DEVICE_REF}, "Of this device."),
                    _query("model", {"type": "string", "pattern": _MODEL_REF},
                           "Of this model version (slug: its latest version; slug@N)."),
                    _query("rollout", {"type": "string", "pattern": _DEVICE_REF}, "Of this rollout."),
                    _query("status", {"type": "string", "enum": list(STATUSES)},
                           "In this status (Active: what runs where).")] + _PAGE[:2],
                "responses": {"200": _json(_page_of("Deployment")), "400": PROBLEM, "404": PROBLEM}}},
            "/api/deployments/{ref}": {"get": {
                "summary": "One deployment: id or IRI",
                "parameters": [_path("ref", _DEVICE_REF)],
                "responses": {"200": _json({"$ref": "#/components/schemas/Deployment"}),
                              "400": PROBLEM, "404": PROBLEM}}},
            "/api/rollouts": {"get": {
                "summary": "Rollouts, newest first, paged",
                "parameters": _PAGE[:2],
                "responses": {"200": _json(_page_of("Rollout")), "400": PROBLEM}}},
            "/api/rollouts/{ref}": {"get": {
                "summary": "One rollout: its state, policy and deployments counted by status and wave",
                "parameters": [_path("ref", _DEVICE_REF)],
                "responses": {"200": _json({"$ref": "#/components/schemas/RolloutStatus"}),
                              "400": PROBLEM, "404": PROBLEM}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "responses": {"Problem": {"description": "RFC 7807 problem details", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                           "status": {"type": "integer"}, "detail": {"type": "string"},
                                           "instance": {"type": "string"}}},
                "Stats": {"type": "object", "required": ["models", "versions", "devices", "graphs"],
                          "properties": {k: {"type": "integer"} for k in (
                              "models", "versions", "devices", "deployments", "graphs", "revision")}},
                "DeviceRow": {"type": "object", "required": ["id", "name", "iri"], "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "iri": {"type": "string"},
                    "kind": _NULLABLE_STR, "ram": _NULLABLE_INT, "flash": _NULLABLE_INT,
                    "core": _NULLABLE_STR, "format": _NULLABLE_STR, "incomplete": _NULLABLE_STR}},
                "VersionFigures": {"type": "object", "required": ["iri", "version", "ref"], "properties": {
                    "iri": {"type": "string"}, "version": {"type": "integer"}, "ref": {"type": "string"},
                    "revision_of": _NULLABLE_STR, "created": _NULLABLE_STR,
                    "arena_bytes": _NULLABLE_INT, "arena_basis": _NULLABLE_STR,
                    "flash_bytes": _NULLABLE_INT, "number_format": _NULLABLE_STR,
                    "parameters": _NULLABLE_INT, "macs": _NULLABLE_INT, "file_bytes": _NULLABLE_INT,
                    "sha256": _NULLABLE_STR, "source": _NULLABLE_STR, "trained_on": _NULLABLE_STR}},
                "Facet": {"type": "object", "required": ["values", "more"], "properties": {
                    "values": {"type": "array", "items": {
                        "type": "object", "required": ["value", "count"], "properties": {
                            "value": {"type": "string"}, "count": {"type": "integer"},
                            "label": {"type": "string"}}}},
                    "more": {"type": "integer", "description": "Values not listed."}}},
                "Device": {"type": "object", "required": ["iri", "id", "name"], "properties": {
                    "iri": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
                    "ram": _NULLABLE_INT, "flash": _NULLABLE_INT, "core": _NULLABLE_STR,
                    "sensors": {"type": "array"}, "runtimes": {"type": "array"}}},
                "DeviceAdded": {"type": "object", "required": ["devices"], "properties": {
                    "format": _NULLABLE_STR, "devices": {"type": "array", "items": {"type": "string"}},
                    "models": {"type": "array"}, "warnings": {"type": "array"}}},
                "ModelRow": {"type": "object", "required": ["id", "name", "latest", "iri"], "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "task": _NULLABLE_STR,
                    "latest": {"type": "integer"}, "versions": {"type": "integer"},
                    "iri": {"type": "string"}}},
                "ModelVersion": {"type": "object", "required": ["iri", "name", "version"], "properties": {
                    "iri": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"},
                    "arena_bytes": _NULLABLE_INT, "flash_bytes": _NULLABLE_INT,
                    "arena_basis": {"enum": ["measured", "estimated", "declared", None]},
                    "measured_arena_bytes": _NULLABLE_INT, "estimated_arena_bytes": _NULLABLE_INT,
                    "declared_arena_bytes": _NULLABLE_INT,
                    "operators": {"type": "array"}, "tensors": {"type": "array"},
                    "arena_breakdown": {"type": "array"}, "runtimes": {"type": "array"},
                    "figures": {"type": "array", "items": {"type": "object", "properties": {
                        "runtime": _NULLABLE_STR, "npu": _NULLABLE_STR,
                        "ram_bytes": _NULLABLE_INT, "flash_bytes": _NULLABLE_INT,
                        "basis": {"enum": ["measured", "estimated", "declared", None]},
                        "source": _NULLABLE_STR}}}}},
                "Result": {"type": "object", "required": ["severity", "constraint", "message"],
                           "properties": {"severity": {"enum": ["violation", "unknown", "warning", "info"]},
                                          "group": {"enum": ["RunsGroup", "SensorGroup", "BudgetGroup", "HeadroomGroup"]},
                                          "constraint": {"type": "string"},
                                          "message": {"type": "string"}}},
                "Verdict": {"type": "object",
                            "required": ["model", "device", "runs", "fits", "unknown", "headroom", "results"],
                            "properties": {"model": {"type": "string"}, "device": {"type": "string"},
                                           "runs": _ANSWER, "fits": _ANSWER, "unknown": _STRINGS,
                                           "headroom": _HEADROOM, "results": _RESULTS,
                                           "latency_ms": _LATENCY_MS}},
                "Match": {"type": "object", "required": ["iri", "id", "runs", "fits", "warned", "reason"],
                          "properties": {"iri": {"type": "string"}, "id": {"type": "string"},
                                         "name": _NULLABLE_STR, "runs": _ANSWER, "fits": _ANSWER,
                                         "headroom": _HEADROOM,
                                         "warned": {"type": "boolean"}, "reason": {"type": "string"},
                                         "results": _RESULTS, "latency_ms": _LATENCY_MS}},
                "Matches": {"type": "object",
                            "required": ["items", "total", "fitting", "limit", "offset"],
                            "properties": {"items": {"type": "array", "items": _MATCH},
                                           "total": {"type": "integer"}, "fitting": {"type": "integer"},
                                           "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
                "WhatIf": {"type": "object", "required": ["gained", "lost", "gained_count", "lost_count"],
                           "properties": {"gained": {"type": "array", "items": _MATCH},
                                          "lost": {"type": "array", "items": _MATCH},
                                          "gained_count": {"type": "integer"},
                                          "lost_count": {"type": "integer"}}},
                "MatrixSlice": {"type": "object",
                                "required": ["models", "devices", "runs", "fits", "warned", "total_devices"],
                                "properties": {"models": _STRINGS, "devices": _STRINGS,
                                               "runs": _ANSWER_ROWS, "fits": _ANSWER_ROWS,
                                               "warned": _BOOL_ROWS,
                                               "total_devices": {"type": "integer"},
                                               "model_names": _STRINGS,
                                               "latency_ms": {"type": "array", "items": {
                                                   "type": "array",
                                                   "items": {"type": ["number", "null"]}}},
                                               "reasons": {"type": "array", "items": {
                                                   "type": "array",
                                                   "items": {"type": ["string", "null"]}}}}},
                "Ranked": {"type": "object", "required": ["iri", "id", "value", "runs", "fits"],
                           "properties": {"iri": {"type": "string"}, "id": {"type": "string"},
                                          "value": {"type": "number"}, "runs": _ANSWER,
                                          "fits": {"type": "boolean"},
                                          "dataset": _NULLABLE_STR, "results": _RESULTS,
                                          "latency_ms": _LATENCY_MS}},
                "Deployment": {"type": "object",
                               "required": ["iri", "id", "device", "version", "status", "attempts"],
                               "properties": {
                                   **{k: {"type": "string"} for k in ("iri", "id", "device", "version",
                                                                       "status", "transport")},
                                   **{k: _NULLABLE_STR for k in (
                                       "rollout", "reason", "started", "ended", "replaces",
                                       "rollback_of", "device_id", "version_id")},
                                   "wave": {"type": "integer"}, "attempts": {"type": "integer"},
                                   "sequence": {"type": ["integer", "null"]}}},
                "Rollout": {"type": "object", "required": ["id", "rollout", "state"], "properties": {
                    "id": {"type": "string"}, "rollout": {"type": "string"}, "state": {"type": "string"},
                    "outcome": _OUTCOME,
                    **{k: _NULLABLE_STR for k in ("version", "version_id", "started", "ended",
                                                   "selection", "reason")}}},
                "RolloutStatus": {"type": "object",
                                  "required": ["rollout", "id", "state", "deployments", "byStatus", "byWave"],
                                  "properties": {
                                      "rollout": {"type": "string"}, "id": {"type": "string"},
                                      "state": {"type": "string"}, "outcome": _OUTCOME,
                                      "version": _NULLABLE_STR,
                                      "waves": {"type": "array", "items": {"type": "integer"}},
                                      "deployments": {"type": "integer"},
                                      "byStatus": {"type": "object",
                                                   "additionalProperties": {"type": "integer"}},
                                      "byWave": {"type": "object"}}},
                "ModelAdded": {"type": "object", "required": ["iri", "model", "version"], "properties": {
                    "iri": {"type": "string"}, "model": {"type": "string"},
                    "version": {"type": "integer"}, "sha256": {"type": "string"},
                    "created": {"type": "boolean"}, "url": {"type": "string"}}},
            },
        },
    }
