"""The whole API against its own OpenAPI schema, with schemathesis.

Every operation gets generated requests (as a staff superuser with a token): no server errors,
and status codes, content types and bodies conform to the schema. (A schema-valid request may
still be refused with 400 when it breaks a rule the schema cannot express, such as an unknown
customer id; that is not checked here.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engagement.wsgi import application


def operations() -> list:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def token(django_user_model) -> str:
    user = django_user_model.objects.create_superuser("fuzz", "fuzz@example.jp", "x-Pass-12345")
    return Token.objects.create(user=user).key


@pytest.mark.django_db
def test_api_conforms_to_its_schema(token):
    checked = []
    for operation in operations():

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Token {token}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        check()
        checked.append(operation.label)
    assert checked, "the schema lists no API operation"


def test_schema_documents_the_error_shape(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "openapi" in response.json()


@pytest.mark.django_db
def test_unauthenticated_requests_get_the_error_shape(client):
    response = client.get("/api/v1/surveys/", HTTP_ACCEPT="application/json")
    if response.status_code == 404:
        pytest.skip("no survey API mounted yet")
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
