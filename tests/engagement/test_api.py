"""Bulk API: upsert customers, idempotent behaviour batches, permissions, error shape."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from engagement.customers.models import BehaviourRecord, Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(django_user_model):
    user = django_user_model.objects.create_user(
        username="sys", password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_customer", "view_customer", "add_behaviourrecord"]
        )
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_customers_upsert_by_external_id(api):
    items = [
        {
            "external_id": "C1",
            "segment": "一般",
            "email": "a@example.jp",
            "attributes": {"県": "東京"},
        },
        {"external_id": "C2", "signed_up_on": "2025-01-02"},
    ]
    first = api.post("/api/v1/customers/bulk/", {"items": items}, format="json")
    assert first.status_code == 200 and first.json() == {"created": 2, "updated": 0, "skipped": 0}
    again = api.post(
        "/api/v1/customers/bulk/",
        {"items": [{"external_id": "C1", "segment": "法人"}]},
        format="json",
    )
    assert again.json() == {"created": 0, "updated": 1, "skipped": 0}
    c1 = Customer.objects.get(external_id="C1")
    assert c1.segment == "法人" and c1.email == "a@example.jp" and c1.attributes == {"県": "東京"}


def test_behaviour_batch_resent_never_duplicates(api):
    Customer.objects.create(external_id="C1")
    batch = {
        "items": [
            {"event_id": "e1", "customer_external_id": "C1", "kind": "purchase",
             "occurred_at": "2026-04-01T10:00:00+09:00", "amount": 1200, "touchpoint": "app"},
            {"event_id": "e2", "customer_external_id": "C1", "kind": "review",
             "occurred_at": "2026-04-02T10:00:00+09:00"},
        ]
    }  # fmt: skip
    assert api.post("/api/v1/behaviours/bulk/", batch, format="json").json()["created"] == 2
    again = api.post("/api/v1/behaviours/bulk/", batch, format="json")
    assert again.json() == {"created": 0, "updated": 0, "skipped": 2}
    assert BehaviourRecord.objects.count() == 2


def test_bad_batches_write_nothing_and_use_the_error_shape(api):
    Customer.objects.create(external_id="C1")
    item = {"event_id": "e1", "customer_external_id": "C1", "kind": "purchase",
            "occurred_at": "2026-04-01T10:00:00+09:00"}  # fmt: skip
    negative = api.post(
        "/api/v1/behaviours/bulk/",
        {"items": [item, {**item, "event_id": "e2", "amount": -1}]},
        format="json",
    )
    assert negative.status_code == 400
    assert negative.json()["error"]["code"] == "invalid"
    unknown = api.post(
        "/api/v1/behaviours/bulk/",
        {"items": [item, {**item, "event_id": "e3", "customer_external_id": "C404"}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "C404" in str(unknown.json()["error"]["fields"])
    assert BehaviourRecord.objects.count() == 0
    duplicate = api.post(
        "/api/v1/customers/bulk/",
        {"items": [{"external_id": "X"}, {"external_id": "X"}]},
        format="json",
    )
    assert duplicate.status_code == 400 and not Customer.objects.filter(external_id="X").exists()
    too_many = api.post(
        "/api/v1/customers/bulk/",
        {"items": [{"external_id": f"Y{i}"} for i in range(1001)]},
        format="json",
    )
    assert too_many.status_code == 400


def test_permissions(django_user_model):
    client = APIClient()
    assert client.post("/api/v1/customers/bulk/", {"items": []}, format="json").status_code in (
        401,
        403,
    )
    viewer = django_user_model.objects.create_user(
        username="v", password="x-secret-99", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_authenticate(viewer)
    response = client.post(
        "/api/v1/customers/bulk/", {"items": [{"external_id": "Z"}]}, format="json"
    )
    assert response.status_code == 403 and not Customer.objects.exists()


def test_customer_values_are_listed_with_their_parts(django_user_model):
    from engagement.customers.models import CustomerValue

    user = django_user_model.objects.create_user(
        username="bi", password="x-secret-99", is_staff=True
    )
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/customer-values/").status_code == 403  # needs the permission
    user.user_permissions.add(Permission.objects.get(codename="view_customervalue"))
    user = django_user_model.objects.get(pk=user.pk)
    client.force_authenticate(user)
    a = Customer.objects.create(external_id="V1", segment="一般")
    CustomerValue.objects.create(customer=a)
    # Each row names its customer: without personal-data access and a scope, nothing is listed.
    assert client.get("/api/v1/customer-values/").json()["results"] == []
    CustomerValue.objects.all().delete()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_personal_data", "view_all_teams"])
    )
    user = django_user_model.objects.get(pk=user.pk)
    client.force_authenticate(user)
    b = Customer.objects.create(external_id="V2", segment="法人")
    CustomerValue.objects.create(
        customer=a, clv=1234.5, p_alive=0.8, crv=99, civ=3, civ_parts={"reach": 10}
    )
    CustomerValue.objects.create(customer=b, clv=None)
    body = client.get("/api/v1/customer-values/").json()
    assert [row["customer"] for row in body["results"]] == ["V1", "V2"]
    first = body["results"][0]
    assert (first["clv"], first["p_alive"], first["crv"], first["civ_parts"]) == (
        1234.5, 0.8, 99.0, {"reach": 10}
    )  # fmt: skip
    only = client.get("/api/v1/customer-values/?customer__segment=法人").json()
    assert [row["customer"] for row in only["results"]] == ["V2"]
