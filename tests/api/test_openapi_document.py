"""The OpenAPI document is the API: a property-based run (schemathesis)
against the running portal sends what the document allows, and what it
refuses, to every operation, and finds no server error and no answer the
document does not describe (status, content type, headers, body)."""

from __future__ import annotations

import difflib
import itertools
import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_key

pytestmark = pytest.mark.e2e

KEYS = 5


def _document() -> dict:
    # The document as the code generates it (pytest-django has set Django up
    # before collection); a test below holds the served one to it. Loaded
    # here rather than from the running portal because schemathesis's lazy
    # loader does not run under pytest 9.
    from imports.api.views import api

    # As served: JSON, whose keys are strings (ninja's status codes are ints).
    return json.loads(json.dumps(api.get_openapi_schema()))


@pytest.fixture(scope="module")
def keys(api_stack):
    # Several keys taken in turn, so that the run stays under each one's rate.
    return itertools.cycle([make_key(api_stack) for _ in range(KEYS)])


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_running_api_answers_as_its_document_says(case, keys, api_stack):
    case.call_and_validate(
        base_url=api_stack.url,
        headers={"Authorization": f"Bearer {next(keys)}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


def test_the_document_is_openapi_3_1_with_every_operation(api_stack):
    document = requests.get(f"{api_stack.url}/api/v1/openapi.json", timeout=10).json()
    generated = _document()
    assert document == generated, "\n".join(
        difflib.unified_diff(
            json.dumps(generated, indent=1, sort_keys=True).splitlines(),
            json.dumps(document, indent=1, sort_keys=True).splitlines(),
            lineterm="",
        )
    )
    assert document["openapi"].startswith("3.1")
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert operations == {
        ("POST", "/api/v1/imports"),
        ("GET", "/api/v1/imports"),
        ("GET", "/api/v1/imports/{import_id}"),
        ("GET", "/api/v1/imports/{import_id}/findings"),
        ("GET", "/api/v1/imports/{import_id}/failed-rows"),
        ("GET", "/api/v1/imports/{import_id}/error-report"),
        ("POST", "/api/v1/imports/{import_id}/confirm"),
        ("POST", "/api/v1/imports/{import_id}/cancel"),
        ("POST", "/api/v1/checks"),
    }
    upload = document["paths"]["/api/v1/imports"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in upload["parameters"])
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
