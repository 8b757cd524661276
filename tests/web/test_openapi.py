"""The OpenAPI document tested against the running app with Schemathesis: every operation,
generated inputs, each answer checked against the document (status, content type, schema)
and never a server error."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from .conftest import make_app


def test_api_conforms_to_its_openapi_document(loaded):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", make_app(loaded))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def conforms(case):
            case.call_and_validate()
        conforms()


def test_document_is_served_at_a_stable_url(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/models", "/api/devices", "/api/models/{ref}", "/api/models/{ref}/devices",
            "/api/devices/{device_id}/models", "/api/compat/check", "/api/compat/matrix",
            "/api/compat/best", "/api/models/{ref}/what-if", "/api/deployments",
            "/api/deployments/{ref}", "/api/rollouts", "/api/rollouts/{ref}"} <= set(document["paths"])
