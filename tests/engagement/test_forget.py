"""forget_customer: personal data and links erased, anonymous aggregates unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from engagement.customers import services
from engagement.customers.models import BehaviourRecord, Customer
from engagement.dashboard import services as dashboard_services
from engagement.dashboard.selectors import dashboard
from surveys.filters import AnalysisFilters as Filters
from tests.dashboard.conftest import T0

pytestmark = pytest.mark.django_db


def test_forget_erases_personal_data_and_keeps_aggregates(build):
    c = build.customer(
        name="山田 太郎", email="taro@example.jp", attributes={"電話": "090-0000-0000"}
    )
    other = build.customer()
    response = build.response(c, score=2, csat=1, awareness=10)
    build.response(other, score=10)
    from surveys.models import Answer, Question

    page = build.survey1.pages.create(position=1)
    question = Question.objects.create(
        survey=build.survey1, page=page, position=1, key="why", kind="long_text", text="理由"
    )
    Answer.objects.create(response=response, question=question, text="山田です。090-0000-0000")
    item = build.feedback(response, build.topic("価格"), text="山田です。高すぎます。")
    BehaviourRecord.objects.create(
        customer=c,
        kind_id="cancellation",
        occurred_at=T0 + timedelta(days=3),
        event_id="shop-123",
        attributes={"住所": "東京都"},
    )
    dashboard_services.refresh_rollups()
    before = dashboard(filters=Filters())

    services.forget_customer(customer=c, now=timezone.now())

    c.refresh_from_db()
    assert c.name == "" and c.email == "" and c.attributes == {}
    assert c.external_id.startswith("forgotten-") and c.forgotten_at is not None
    assert not c.contact_allowed
    assert (
        not Customer.objects.filter(external_id__contains="C0000")
        .exclude(pk=other.pk)
        .filter(pk=c.pk)
        .exists()
    )
    record = BehaviourRecord.objects.get(customer=c)
    assert record.event_id is None and record.attributes == {} and record.kind_id == "cancellation"
    assert Answer.objects.get(response=response).text == ""
    item.refresh_from_db()
    assert item.text == "" and item.tokens == [] and item.topic is not None
    response.refresh_from_db()
    assert response.nps_score == 2 and response.customer_id == c.pk

    dashboard_services.refresh_rollups()
    after = dashboard(filters=Filters())
    assert after.nps.nps == before.nps.nps
    assert after.by_category["detractor"].as_dict() == before.by_category["detractor"].as_dict()
    assert after.topics_by_volume[0].items == before.topics_by_volume[0].items

    # twice changes nothing more (the anonymous id stays)
    anonymous = c.external_id
    services.forget_customer(customer=c, now=timezone.now())
    c.refresh_from_db()
    assert c.external_id == anonymous


def test_forget_command(build, capsys):
    c = build.customer(email="a@example.jp")
    call_command("forget_customer", c.external_id)
    c.refresh_from_db()
    assert c.email == "" and c.forgotten_at
    assert "forgotten-" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("forget_customer", "nobody")


def test_admin_action_needs_personal_data_permission(build, client, django_user_model):
    from django.contrib.auth.models import Permission

    c = build.customer(email="a@example.jp")
    user = django_user_model.objects.create_user(
        username="pm", password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_customer", "change_customer", "view_all_teams"]
        )
    )
    client.force_login(user)
    data = {"action": "forget_selected", "_selected_action": [c.pk]}
    response = client.post("/admin/engagement/customer/", data)
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.email == "a@example.jp"
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    user = django_user_model.objects.get(pk=user.pk)
    client.force_login(user)
    response = client.post("/admin/engagement/customer/", data, follow=True)
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.email == "" and c.forgotten_at
