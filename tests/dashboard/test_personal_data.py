"""A product-team account (staff without engagement.view_personal_data) never sees e-mails."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from engagement.dashboard import services

pytestmark = pytest.mark.django_db
EMAIL = "taro.yamada@example.jp"
NAME = "山田太郎"

PRODUCT_PERMS = ["view_customer", "change_customer", "view_behaviourrecord", "view_all_teams"]


def account(django_user_model, username, codenames):
    user = django_user_model.objects.create_user(
        username=username, password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    if codenames:  # the dashboard's own permission (engagement.dashboard.views.DASHBOARD_PERM)
        user.user_permissions.add(Permission.objects.get(codename="view_dailyrollup"))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def taro(build):
    c = build.customer(name=NAME, email=EMAIL)
    response = build.response(c, score=3)
    build.feedback(response, build.topic("価格"), text="高いです")
    services.refresh_rollups()
    return c


def pages(client, customer):
    urls = [
        "/admin/engagement/customer/",
        f"/admin/engagement/customer/{customer.pk}/change/",
        reverse("dashboard:customer", args=[customer.pk]),
        reverse("dashboard:index"),
        reverse("dashboard:metrics"),
        reverse("dashboard:metrics-csv"),
    ]
    urls += [reverse("dashboard:panel-csv", args=[name]) for name in
             ("trend", "distribution", "indices", "linkage_category", "linkage_differences",
              "linkage_band", "flow", "topics_volume", "topics_impact")]  # fmt: skip
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.content.decode("utf-8-sig")
    return bodies


def test_product_team_sees_no_personal_data_anywhere(taro, client, django_user_model):
    client.force_login(account(django_user_model, "pm", PRODUCT_PERMS))
    for url, body in pages(client, taro).items():
        assert EMAIL not in body, url
        assert NAME not in body, url
    # searching by e-mail finds nothing (the field is not searchable without permission)
    assert (
        taro.external_id
        not in client.get(f"/admin/engagement/customer/?q={EMAIL}").content.decode()
    )
    api = APIClient()
    api.force_login(account(django_user_model, "pm-api", PRODUCT_PERMS))
    data = api.get("/api/v1/customers/").json()
    assert data["results"][0]["external_id"] == taro.external_id
    assert "email" not in data["results"][0] and "name" not in data["results"][0]
    assert EMAIL not in str(data)


def test_cs_staff_with_permission_see_it(taro, client, django_user_model):
    client.force_login(account(django_user_model, "cs", [*PRODUCT_PERMS, "view_personal_data"]))
    assert EMAIL in client.get("/admin/engagement/customer/").content.decode()
    assert EMAIL in client.get(reverse("dashboard:customer", args=[taro.pk])).content.decode()
    assert taro.external_id in client.get(f"/admin/engagement/customer/?q={EMAIL}").content.decode()
    api = APIClient()
    api.force_login(account(django_user_model, "cs-api", [*PRODUCT_PERMS, "view_personal_data"]))
    assert api.get("/api/v1/customers/").json()["results"][0]["email"] == EMAIL


def test_product_team_change_form_cannot_overwrite_hidden_personal_data(
    taro, client, django_user_model
):
    client.force_login(account(django_user_model, "pm", PRODUCT_PERMS))
    url = f"/admin/engagement/customer/{taro.pk}/change/"
    form = {"external_id": taro.external_id, "segment": "法人", "attributes": "{}"}
    response = client.post(url, {**form, "email": "evil@example.jp"})
    assert response.status_code == 302
    taro.refresh_from_db()
    assert taro.segment == "法人" and taro.email == EMAIL


def test_customer_page_shows_one_timeline(taro, client, django_user_model, build):
    from datetime import timedelta

    from tests.dashboard.conftest import T0

    build.behaviour(taro, "purchase", T0 + timedelta(days=2), 4800)
    client.force_login(account(django_user_model, "pm", PRODUCT_PERMS))
    body = client.get(reverse("dashboard:customer", args=[taro.pk])).content.decode()
    assert body.index("¥4,800") < body.index("高いです")  # newest first: purchase after the answer
    assert "NPS 3" in body
    no_perm = account(django_user_model, "nobody", [])
    client.force_login(no_perm)
    assert client.get(reverse("dashboard:customer", args=[taro.pk])).status_code == 403
