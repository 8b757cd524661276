"""The OpenAPI 3.1 description of /api, served at /api/openapi.json and tested against the app."""
from __future__ import annotations

import functools

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


_PAGE = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                "Page size (default 50)."),
         _query("offset", {"type": "integer", "minimum": 0}, "Rows to skip."),
         _query("q", {"type": "string"}, "Case-insensitive text search.")]
_FORMAT = _query("format", {"type": "string",
                            "enum": ["json", "turtle", "ntriples", "rdfxml", "jsonld"]},
                 "Representation (instead of the Accept header).")
_WRITE = [{"bearerAuth": []}]
_WRITE_ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "413": PROBLEM}


def _page_of(item: str) -> dict:
    return {"type": "object", "required": ["items", "total", "limit", "offset"],
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "total": {"type": "integer"}, "limit": {"type": "integer"},
                           "offset": {"type": "integer"}}}


# A model's name has a letter or digit to make a slug from; a version is `@N`.
_MODEL_REF = r"^(https?://.+|[^@]*[A-Za-z0-9][^@]*(@[0-9]+)?)$"
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_STR = {"type": ["string", "null"]}


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
                            _query("min_flash", {"type": "integer", "minimum": 0}, "Bytes of flash at least.")],
                        "responses": {"200": _json(_page_of("DeviceRow")), "400": PROBLEM}},
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
                        "parameters": _PAGE + [_query("task", {"type": "string"},
                                                      "Task, e.g. KeywordSpotting.")],
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
                                     "creator": {"type": "string"},
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
                    "operators": {"type": "array"}, "tensors": {"type": "array"},
                    "arena_breakdown": {"type": "array"}, "runtimes": {"type": "array"}}},
                "ModelAdded": {"type": "object", "required": ["iri", "model", "version"], "properties": {
                    "iri": {"type": "string"}, "model": {"type": "string"},
                    "version": {"type": "integer"}, "sha256": {"type": "string"},
                    "created": {"type": "boolean"}, "url": {"type": "string"}}},
            },
        },
    }
