"""Each role on the inbox list, the item page, the CSV export and the API; team limits."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from engagement.platform import roles

from .conftest import make_staff

pytestmark = pytest.mark.django_db

LIST = "/admin/voc/feedbackitem/"
A_TEXT = "解約したいのですが"
B_TEXT = "配送が遅れました"


def detail(item):
    return f"/admin/voc/feedbackitem/{item.id}/change/"


def export(client, *items):
    return client.post(
        LIST, {"action": "export_csv", "_selected_action": [i.id for i in items], "index": 0}
    )


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_roles_are_groups_with_the_expected_permissions(world):
    agent = Group.objects.get(name=roles.CS_AGENT)
    lead = Group.objects.get(name=roles.CS_LEAD)
    product = Group.objects.get(name=roles.PRODUCT_TEAM)
    names = lambda g: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}  # noqa: E731
    assert {"triage.contact_customer", "voc.change_feedbackitem"} <= names(agent)
    assert "engagement.view_all_teams" not in names(agent)
    assert {"engagement.view_all_teams", "triage.change_rule", "triage.view_alert"} <= names(lead)
    assert "voc.view_topic" in names(product)
    assert not names(product) & {
        "engagement.view_personal_data",
        "voc.view_feedbackitem",
        "triage.contact_customer",
        "triage.add_reply",
    }
    assert "engagement.view_all_teams" in names(Group.objects.get(name=roles.ADMINISTRATOR))


def test_migrate_created_the_role_groups(db):
    # No explicit sync here: the post_migrate handler ran when the test database was migrated.
    assert set(Group.objects.filter(name__in=roles.ROLES).values_list("name", flat=True)) == set(
        roles.ROLES
    )
    assert (
        Group.objects.get(name=roles.CS_AGENT)
        .permissions.filter(codename="contact_customer")
        .exists()
    )


def test_unknown_permissions_are_skipped_and_logged(db, caplog):
    roles.ROLES["Temporary role"] = ["voc.view_topic", "reports.view_nothing_like_this"]
    try:
        counts = roles.sync_roles()
    finally:
        del roles.ROLES["Temporary role"]
    assert counts["Temporary role"] == 1
    assert "reports.view_nothing_like_this" in caplog.text


def test_agent_sees_only_their_teams_items(client, world):
    client.force_login(world["agent"])
    response = client.get(LIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert A_TEXT in content and B_TEXT not in content
    assert client.get(detail(world["item_a"])).status_code == 200
    other = client.get(detail(world["item_b"]))
    assert other.status_code == 302  # "does not exist" for this user
    assert B_TEXT not in client.get(detail(world["item_b"]), follow=True).content.decode()
    rows = csv_rows(export(client, world["item_a"], world["item_b"]))
    ids = [row[0] for row in rows[1:]]
    assert ids == [str(world["item_a"].id)]


def test_agent_owns_items_outside_their_team(client, world):
    item_b = world["item_b"]
    item_b.owner = world["agent"]
    item_b.save()
    client.force_login(world["agent"])
    assert client.get(detail(item_b)).status_code == 200


@pytest.mark.parametrize("role", ["lead", "administrator"])
def test_leads_and_administrators_see_all_teams(client, world, role):
    client.force_login(world[role])
    content = client.get(LIST).content.decode()
    assert A_TEXT in content and B_TEXT in content
    assert client.get(detail(world["item_b"])).status_code == 200
    rows = csv_rows(export(client, world["item_a"], world["item_b"]))
    assert len(rows) == 3
    emails = {row[-1] for row in rows[1:]}  # personal data: both roles may see it
    assert emails == {world["customer"].email, world["item_b"].customer.email}
    api = APIClient()
    api.force_authenticate(world[role])
    ids = {r["id"] for r in api.get("/api/v1/triage/items/").json()["results"]}
    assert ids == {world["item_a"].id, world["item_b"].id}
    assert api.get(f"/api/v1/triage/items/{world['item_b'].id}/").status_code == 200


def test_product_team_gets_no_items_no_export_no_api(client, world):
    client.force_login(world["product"])
    assert client.get(LIST).status_code == 403
    assert client.get(detail(world["item_a"])).status_code == 403
    assert export(client, world["item_a"]).status_code == 403
    api = APIClient()
    api.force_authenticate(world["product"])
    assert api.get("/api/v1/triage/items/").status_code == 403
    assert api.get(f"/api/v1/triage/items/{world['item_a'].id}/").status_code == 403
    assert (
        client.post(
            f"/admin/triage/items/{world['item_a'].id}/reply/", {"do": "template", "template": 1}
        ).status_code
        == 403
    )


def test_personal_data_only_with_the_permission(client, world):
    customer = world["customer"]
    client.force_login(world["agent"])
    assert customer.name in client.get(detail(world["item_a"])).content.decode()
    # A staff member who may triage but not see personal data.
    viewer = make_staff("viewer")
    viewer.user_permissions.add(
        *Group.objects.get(name=roles.CS_LEAD).permissions.exclude(codename="view_personal_data")
    )
    client.force_login(viewer)
    page = client.get(detail(world["item_a"])).content.decode()
    assert customer.external_id in page
    assert customer.name not in page and customer.email not in page
    rows = csv_rows(export(client, world["item_a"]))
    assert customer.email not in "".join(",".join(r) for r in rows)
    assert len(rows[0]) == 17


def test_export_needs_the_export_permission(client, world):
    plain = make_staff("plain_viewer")
    plain.user_permissions.add(
        *Group.objects.get(name=roles.CS_LEAD).permissions.exclude(codename="export_feedback")
    )
    client.force_login(plain)
    response = export(client, world["item_a"])
    assert response.status_code in (302, 403) and not hasattr(response, "streaming_content")


def test_api_is_limited_to_visible_items(world):
    api = APIClient()
    api.force_authenticate(world["agent"])
    listing = api.get("/api/v1/triage/items/")
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [world["item_a"].id]
    assert "name" not in listing.json()["results"][0]
    assert api.get(f"/api/v1/triage/items/{world['item_b'].id}/").status_code == 404
    assert (
        api.post(
            f"/api/v1/triage/items/{world['item_b'].id}/state/", {"state": "in_progress"}
        ).status_code
        == 404
    )
    ok = api.post(f"/api/v1/triage/items/{world['item_a'].id}/state/", {"state": "in_progress"})
    assert ok.status_code == 200 and ok.json()["state"] == "in_progress"
    illegal = api.post(f"/api/v1/triage/items/{world['item_a'].id}/state/", {"state": "new"})
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "illegal_transition"
    assert "できません" in illegal.json()["error"]["message"]
    lead = APIClient()
    lead.force_authenticate(world["lead"])
    assert {r["id"] for r in lead.get("/api/v1/triage/items/").json()["results"]} == {
        world["item_a"].id,
        world["item_b"].id,
    }
    anonymous = APIClient()
    assert anonymous.get("/api/v1/triage/items/").status_code in (401, 403)


def test_api_keyword_filter(world):
    api = APIClient()
    api.force_authenticate(world["lead"])
    rows = api.get("/api/v1/triage/items/", {"q": "解約"}).json()["results"]
    assert [r["id"] for r in rows] == [world["item_a"].id]
