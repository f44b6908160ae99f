"""The whole API against its own OpenAPI schema, with schemathesis.

Every operation gets generated requests (as a staff superuser with a token) against a small demo
data set (so lists and details return real objects: nullable fields, blank choices), with the
API throttle off so that no operation is left untested behind 429s: no server errors, and status
codes, content types and bodies conform to the schema. The number of cases is printed. (A
schema-valid request may still be refused with 400 when it breaks a rule the schema cannot
express, such as an unknown customer id; that is not checked here.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.utils import timezone
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


@pytest.fixture
def demo_data(db) -> None:
    from engagement.demo.services import seed_demo
    from voc.models import FeedbackItem

    seed_demo(customers=20, seed=5)
    # An item with no customer, topic, owner, team or touchpoint: every nullable field is null.
    FeedbackItem.objects.create(
        text="匿名のご意見です", channel="review", received_at=timezone.now()
    )


@pytest.fixture
def no_throttle(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


def run_schemathesis(token: str, *, max_examples: int = 15) -> tuple[int, int]:
    """Every operation with generated cases; raises on the first failing one. Returns
    (operations, cases)."""
    checked = []
    cases = 0
    for operation in operations():

        @given(case=operation.as_strategy())
        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            nonlocal cases
            cases += 1
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
    return len(checked), cases


@pytest.mark.django_db
def test_api_conforms_to_its_schema(token, demo_data, no_throttle):
    operations_checked, cases = run_schemathesis(token)
    print(f"\nschemathesis: {operations_checked} operations, {cases} cases, 0 failures")
    assert operations_checked, "the schema lists no API operation"
    assert cases >= 10 * operations_checked


@pytest.mark.django_db
def test_a_filter_value_out_of_the_id_range_is_a_400_not_a_500(client, token):
    for value in ("3.402823466e+38", "99999999999999999999", "1.5", "x"):
        response = client.get(
            "/api/v1/responses/", {"wave": value}, HTTP_AUTHORIZATION=f"Token {token}"
        )
        assert response.status_code == 400, (value, response.status_code)
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_a_body_with_too_many_fields_gets_the_error_shape(client, token, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(50))
    response = client.post(
        "/api/v1/reports/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db
def test_feedback_items_without_customer_owner_or_touchpoint_match_the_schema(client, token):
    from voc.models import FeedbackItem

    item = FeedbackItem.objects.create(
        text="匿名のご意見です", channel="review", received_at=timezone.now()
    )
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    props = schema["components"]["schemas"]["FeedbackItem"]["properties"]
    for name in ("customer_id", "segment", "owner", "team", "topic_name"):
        assert props[name].get("nullable") is True, name
    body = client.get(
        f"/api/v1/triage/items/{item.id}/", HTTP_AUTHORIZATION=f"Token {token}"
    ).json()
    assert body["customer_id"] is None and body["touchpoint"] == ""


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


@pytest.mark.django_db
def test_feedback_received_before_2000_is_refused_not_stored(client, token):
    """A year-463 time came back as ``+09:18:59`` (Tokyo's local mean time), not RFC 3339."""
    from voc.models import FeedbackItem

    response = client.post(
        "/api/v1/voc/feedback/",
        {"text": "古い日付", "channel": "sns", "received_at": "0463-04-23T13:51:35Z"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 400
    assert "received_at" in str(response.json()["error"]["fields"])
    assert not FeedbackItem.objects.exists()
