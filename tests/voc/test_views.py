"""Staff pages under /admin/voc/: permissions, topic list, topic page corrections, search/KWIC,
co-occurrence, CSV upload."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from voc.models import FeedbackItem, Topic
from voc.services import run_analysis

TEXTS = [
    "朝食のバイキングが美味しかった",
    "朝食の種類が少ない",
    "朝食会場が混んでいた",
    "駅から近くて便利",
    "駅から徒歩すぐで便利",
    "駅からのアクセスが良い",
]


def _client(*codenames: str, superuser: bool = False) -> Client:
    user = User.objects.create_user("s", password="pw", is_staff=True, is_superuser=superuser)
    # Every team's items (engagement.platform.scope); the permissions under test come on top.
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[*codenames, "view_all_teams"])
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def analysed(db):
    now = timezone.now()
    FeedbackItem.objects.bulk_create(
        [FeedbackItem(text=t, channel="review", received_at=now) for t in TEXTS * 5]
    )
    run_analysis(k=2)


@pytest.mark.django_db
def test_pages_need_permissions(analysed):
    client = _client()
    for url in [
        "/admin/voc/topics/",
        "/admin/voc/search/?q=朝食",
        "/admin/voc/cooccurrence/",
        "/admin/voc/import/",
    ]:
        assert client.get(url).status_code == 403
    assert Client().get("/admin/voc/topics/").status_code == 302  # to the admin login


@pytest.mark.django_db
def test_topic_list_search_and_cooccurrence(analysed):
    client = _client("view_topic", "view_feedbackitem")
    page = client.get("/admin/voc/topics/")
    assert page.status_code == 200
    names = list(
        Topic.objects.filter(is_active=True, is_other=False).values_list("name", flat=True)
    )
    assert names and all(name in page.content.decode() for name in names)
    search = client.get("/admin/voc/search/", {"q": "朝食"})
    assert search.status_code == 200 and search.context["total"] == 15
    assert all(line["keyword"] == "朝食" for line in search.context["lines"])
    cooc = client.get("/admin/voc/cooccurrence/")
    assert cooc.status_code == 200 and "<svg" in cooc.content.decode()
    topic = Topic.objects.filter(is_other=False).first()
    assert client.get(f"/admin/voc/topics/{topic.id}/").status_code == 200
    # Reading is not correcting.
    assert client.post(f"/admin/voc/topics/{topic.id}/rename/", {"name": "x"}).status_code == 403


@pytest.mark.django_db
def test_rename_split_and_move_from_the_topic_page(analysed):
    client = _client("view_topic", "change_topic", "view_feedbackitem", "change_feedbackitem")
    topic = Topic.objects.filter(is_other=False, is_active=True).first()
    client.post(f"/admin/voc/topics/{topic.id}/rename/", {"name": "朝ごはん"})
    topic.refresh_from_db()
    assert topic.name == "朝ごはん" and topic.name_is_custom
    items = list(FeedbackItem.objects.filter(topic=topic).values_list("id", flat=True)[:2])
    client.post(f"/admin/voc/topics/{topic.id}/split/", {"name": "分割", "items": items})
    split = Topic.objects.get(name="分割")
    assert set(FeedbackItem.objects.filter(topic=split).values_list("id", flat=True)) == set(items)
    other = FeedbackItem.objects.exclude(topic=split).first()
    client.post("/admin/voc/items/move/", {"item_id": other.id, "topic": split.id})
    other.refresh_from_db()
    assert other.topic_id == split.id and other.topic_locked


@pytest.mark.django_db
def test_upload_page_imports_and_shows_errors():
    client = _client("add_feedbackitem")
    good = SimpleUploadedFile("a.csv", "text,channel\n配送が遅い,sns\n".encode("cp932"))
    assert client.post("/admin/voc/import/", {"file": good}).status_code == 302
    assert FeedbackItem.objects.count() == 1
    bad = SimpleUploadedFile("b.csv", "text,rating\n良い,abc\n,3\n".encode())
    response = client.post("/admin/voc/import/", {"file": bad})
    assert response.status_code == 200
    assert len(response.context["errors"]) == 2
    assert FeedbackItem.objects.count() == 1


@pytest.mark.django_db
def test_admin_registers_topic_and_dictionary_but_not_feedback_items():
    from django.contrib import admin

    from voc.models import UserDictionaryEntry

    assert Topic in admin.site._registry and UserDictionaryEntry in admin.site._registry
    client = _client(superuser=True)
    assert client.get("/admin/voc/topic/").status_code == 200
    assert client.get("/admin/voc/userdictionaryentry/add/").status_code == 200
