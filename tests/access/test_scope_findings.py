"""The findings of issue 13 (item 2), each failing on the code before the one scope rule."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from engagement.customers.models import Customer
from surveys.models import Response
from voc.models import FeedbackItem

from .conftest import A_PHRASE, B_EMAIL, B_NAME, B_PHRASE


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_rule_on_each_model(world):
    agent, lead, product = (world.users[k] for k in ("agent_a", "lead_a", "product"))
    assert set(FeedbackItem.objects.visible_to(agent)) == {world.item_a}
    assert set(Customer.objects.visible_to(agent)) == {world.customer_a}
    assert set(Response.objects.visible_to(agent).values_list("customer", flat=True)) == {
        world.customer_a.id
    }
    # Leads route between teams; the product team sees every row (masked elsewhere).
    for user in (lead, product, world.users["admin"]):
        assert FeedbackItem.objects.visible_to(user).count() == 2
        assert Customer.objects.visible_to(user).count() == 2
    assert not FeedbackItem.objects.visible_to(None).exists()


def test_an_agent_owning_an_item_of_another_team_sees_it(world):
    agent = world.users["agent_a"]
    FeedbackItem.objects.filter(pk=world.item_b.pk).update(owner=agent)
    assert FeedbackItem.objects.visible_to(agent).count() == 2


def test_feedback_search_api_returns_only_the_agents_team(world):
    api = APIClient()
    api.force_authenticate(world.users["agent_a"])
    response = api.get("/api/v1/voc/search/", {"q": "解約"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world.item_a.id]
    assert B_PHRASE not in response.content.decode()


def test_topic_page_shows_only_the_agents_team_items_and_counts(world):
    html = (
        _client(world.users["agent_a"])
        .get(reverse("voc:topic", args=[world.topic.id]))
        .content.decode()
    )
    assert A_PHRASE in html
    assert B_PHRASE not in html and B_NAME not in html
    assert "<p>1件" in html
    rows = {
        row["id"]: row["item_count"]
        for row in _client_api(world.users["agent_a"]).get("/api/v1/voc/topics/").json()["results"]
    }
    assert rows[world.topic.id] == 1
    admin_list = _client(world.users["agent_a"]).get("/admin/voc/topic/").content.decode()
    assert '<td class="field-visible_items">1</td>' in admin_list
    admin_list = _client(world.users["admin"]).get("/admin/voc/topic/").content.decode()
    assert '<td class="field-visible_items">2</td>' in admin_list


def _client_api(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_kwic_search_returns_only_the_agents_team_text(world):
    html = (
        _client(world.users["agent_a"]).get(reverse("voc:search"), {"q": "解約"}).content.decode()
    )
    assert A_PHRASE in html
    assert B_PHRASE not in html


def test_cooccurrence_counts_only_the_agents_team(world):
    # Two items a team, each with its own pair of terms (a term shows from two items up).
    for item, tokens in ((world.item_a, ["苺大福", "問題"]), (world.item_b, ["鯖缶", "騒動"])):
        FeedbackItem.objects.filter(pk=item.pk).update(tokens=tokens, tokenized_at=item.received_at)
        FeedbackItem.objects.create(
            text="同じ話です",
            channel="support",
            received_at=item.received_at,
            team=item.team,
            tokens=tokens,
            tokenized_at=item.received_at,
        )
    html = _client(world.users["agent_a"]).get(reverse("voc:cooccurrence")).content.decode()
    assert "苺大福" in html and "鯖缶" not in html
    html = _client(world.users["admin"]).get(reverse("voc:cooccurrence")).content.decode()
    assert "苺大福" in html and "鯖缶" in html


def test_dashboard_needs_its_permission(world):
    agent = _client(world.users["agent_a"])
    for name in ("dashboard:index", "dashboard:drivers", "dashboard:metrics"):
        assert agent.get(reverse(name)).status_code == 403, name
    assert agent.get(reverse("dashboard:customer", args=[world.customer_b.pk])).status_code == 404
    page = agent.get(reverse("dashboard:customer", args=[world.customer_a.pk]))
    assert page.status_code == 200
    assert _client_api(world.users["agent_a"]).get("/api/v1/dashboard/").status_code == 403
    assert _client(world.users["product"]).get(reverse("dashboard:index")).status_code == 200


def test_customer_and_response_apis_are_scoped(world):
    api = _client_api(world.users["admin"])
    assert api.get("/api/v1/customers/").json()["count"] == 2
    agent = _client_api(world.users["agent_a"])
    body = agent.get("/api/v1/customers/").json()
    assert [row["external_id"] for row in body["results"]] == [world.customer_a.external_id]
    assert B_EMAIL not in str(body)


def test_customer_timeline_and_item_page_show_only_visible_feedback(world):
    other = FeedbackItem.objects.create(
        text="チームBだけの相談内容です",
        channel="support",
        received_at=world.item_a.received_at,
        customer=world.customer_a,
        team=world.team_b,
        duplicate_of=world.item_a,
    )
    agent = _client(world.users["agent_a"])
    page = agent.get(reverse("dashboard:customer", args=[world.customer_a.pk])).content.decode()
    assert A_PHRASE in page and other.text not in page
    item_page = agent.get(f"/admin/voc/feedbackitem/{world.item_a.pk}/change/")
    assert item_page.status_code == 200
    assert other.text not in item_page.content.decode()
    admin_page = _client(world.users["admin"]).get(
        reverse("dashboard:customer", args=[world.customer_a.pk])
    )
    assert other.text in admin_page.content.decode()


def test_the_triage_export_applies_the_rule_whatever_it_is_given(world):
    from voc.triage.export import export_rows

    rows = "".join(export_rows(queryset=FeedbackItem.objects.all(), user=world.users["agent_a"]))
    assert A_PHRASE in rows and B_PHRASE not in rows
    client = _client(world.users["agent_a"])
    response = client.post(
        "/admin/voc/feedbackitem/",
        {"action": "export_csv", "_selected_action": [world.item_a.pk, world.item_b.pk]},
    )
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    assert response.status_code == 200 and B_PHRASE not in body.decode("utf-8-sig")
