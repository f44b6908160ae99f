"""The inbox: hostile text shown as text, keyword search, filters, CSV formula injection,
bulk actions (small at once, large in the background with progress)."""

from __future__ import annotations

import csv
import io

import pytest

from engagement.platform.errors import DomainError
from engagement.platform.spreadsheets import neutralise
from voc.models import FeedbackItem
from voc.triage import services
from voc.triage.models import BulkJob, ItemTag, JobState, TriageEvent
from voc.triage.services import bulk

from .conftest import make_item

pytestmark = pytest.mark.django_db

LIST = "/admin/voc/feedbackitem/"
HOSTILE = '<script>alert("xss")</script><img src=x onerror=alert(1)>解約したい'


def test_hostile_text_is_displayed_as_text_in_list_and_detail(client, world):
    item = make_item(text=HOSTILE, team=world["team_a"])
    services.add_note(item_id=item.id, author=world["agent"], body='<b onmouseover="x()">注意</b>')
    client.force_login(world["agent"])
    for url in (LIST, f"{LIST}{item.id}/change/"):
        html = client.get(url).content.decode()
        assert '<script>alert("xss")' not in html
        assert "<img src=x onerror" not in html
        assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html
    detail = client.get(f"{LIST}{item.id}/change/").content.decode()
    assert '<b onmouseover="x()">' not in detail
    assert "&lt;b onmouseover=" in detail


def test_items_left_out_of_the_analysis_say_why(client, world):
    item = make_item(text="😀😀😀", team=world["team_a"])
    FeedbackItem.objects.filter(id=item.id).update(analysis_skipped_reason="no_japanese")
    client.force_login(world["agent"])
    for url in (LIST, f"{LIST}{item.id}/change/"):
        html = client.get(url).content.decode()
        assert "分析対象外：日本語の本文がありません" in html, url


def test_keyword_search_and_filters(client, world):
    client.force_login(world["lead"])
    html = client.get(LIST, {"q": "解約"}).content.decode()
    assert "解約したいのですが" in html and "配送が遅れました" not in html
    html = client.get(LIST, {"team__id__exact": world["team_b"].id}).content.decode()
    assert "配送が遅れました" in html and "解約したいのですが" not in html
    world["customer"].segment = "platinum"
    world["customer"].save()
    html = client.get(LIST, {"segment": "platinum"}).content.decode()
    assert "解約したいのですが" in html and "配送が遅れました" not in html
    for params in (
        {"state__exact": "new"},
        {"nps": "detractor"},
        {"open": "overdue"},
        {"channel__exact": "survey"},
    ):
        assert client.get(LIST, params).status_code == 200


def test_item_page_shows_customer_nps_segment_and_recent_behaviour(client, world):
    from django.utils import timezone

    from engagement.customers.models import BehaviourRecord

    BehaviourRecord.objects.create(
        customer=world["customer"], kind_id="cancellation", occurred_at=timezone.now(), amount=None
    )
    client.force_login(world["agent"])
    html = client.get(f"{LIST}{world['item_a'].id}/change/").content.decode()
    assert 'id="recent-behaviour"' in html
    assert world["customer"].segment in html
    assert ">3" in html or "3 (" in html  # NPS score


def test_formula_injection_is_neutralised(client, world):
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+81") == "'+81"
    assert neutralise("-x") == "'-x"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("普通の文") == "普通の文"
    item = make_item(text='=HYPERLINK("http://evil.example","click")', team=world["team_a"])
    client.force_login(world["lead"])
    response = client.post(
        LIST, {"action": "export_csv", "_selected_action": [item.id], "index": 0}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    text_column = rows[0].index("本文")
    assert rows[1][text_column] == '\'=HYPERLINK("http://evil.example","click")'


def test_export_names_the_owner_by_display_name(client, world):
    """The inbox CSV shows owners as the inbox does: by display name, never the login name."""
    from engagement.platform.branding import set_display_name

    set_display_name(user=world["agent"], display_name="佐藤 花子")
    item = make_item(team=world["team_a"], owner=world["agent"])
    client.force_login(world["lead"])
    response = client.post(
        LIST, {"action": "export_csv", "_selected_action": [item.id], "index": 0}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1][rows[0].index("担当者")] == "佐藤 花子"
    assert world["agent"].get_username() not in body


def test_small_bulk_assign_runs_at_once_with_audit(client, world):
    client.force_login(world["lead"])
    items = [world["item_a"], world["item_b"]]
    response = client.post(
        LIST,
        {
            "action": "assign_selected",
            "_selected_action": [i.id for i in items],
            "owner": world["agent"].id,
            "index": 0,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert set(FeedbackItem.objects.filter(owner=world["agent"]).values_list("id", flat=True)) == {
        i.id for i in items
    }
    assert TriageEvent.objects.filter(kind="owner", actor=world["lead"]).count() == 2
    job = BulkJob.objects.get()
    assert (job.state, job.total, job.processed, job.changed) == (JobState.DONE, 2, 2, 2)


def test_large_filtered_selection_runs_in_the_background_in_chunks(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 10)
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 7)
    for n in range(40):
        make_item(text=f"アプリが落ちる {n}", team=world["team_a"], channel="review")
    client.force_login(world["lead"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            f"{LIST}?channel__exact=review",
            {
                "action": "tag_selected",
                "select_across": 1,
                "_selected_action": [0],
                "tag": "アプリ",
                "index": 0,
            },
        )
    job = BulkJob.objects.get()
    assert (job.state, job.total, job.processed) == (JobState.PENDING, 40, 0)
    page = client.get(LIST).content.decode()
    assert "0/40" in page  # progress shown in the inbox while it waits
    for callback in callbacks:
        callback()  # the commit hook sends the job to the (eager) worker
    job.refresh_from_db()
    assert (job.state, job.processed, job.changed) == (JobState.DONE, 40, 40)
    assert ItemTag.objects.filter(tag__name="アプリ").count() == 40
    assert not ItemTag.objects.filter(item__channel="survey").exists()  # the filter held


def test_bulk_state_change_skips_illegal_transitions(world):
    good = make_item(state="in_progress")
    bad = make_item(state="new")
    job = services.start_bulk_action(
        queryset=FeedbackItem.objects.filter(id__in=[good.id, bad.id]),
        action="state",
        actor=world["lead"],
        state="resolved",
    )
    assert (job.changed, job.skipped) == (1, 1)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.state, bad.state) == ("resolved", "new")


def test_bulk_merge_and_set_topic(world):
    from voc.models import Topic

    first, second, third = make_item(), make_item(), make_item()
    ids = [first.id, second.id, third.id]
    FeedbackItem.objects.filter(id=first.id).update(
        received_at=first.received_at.replace(year=2025)
    )
    services.start_bulk_action(
        queryset=FeedbackItem.objects.filter(id__in=ids), action="merge", actor=world["lead"]
    )
    assert set(FeedbackItem.objects.filter(duplicate_of=first).values_list("id", flat=True)) == {
        second.id,
        third.id,
    }
    topic = Topic.objects.create(name="配送")
    services.start_bulk_action(
        queryset=FeedbackItem.objects.filter(id__in=ids),
        action="topic",
        actor=world["lead"],
        topic_id=topic.id,
    )
    assert FeedbackItem.objects.filter(topic=topic, topic_locked=True).count() == 3
    topic.refresh_from_db()
    assert topic.item_count == 3  # the topic's counter follows the move
    with pytest.raises(DomainError):  # no topic chosen
        services.start_bulk_action(
            queryset=FeedbackItem.objects.filter(id__in=ids), action="topic", actor=world["lead"]
        )


def test_owner_choices_column_and_filter_show_display_names(client, world):
    """Staff are shown by their display name (StaffProfile), else their full name, never by the
    login name when there is a better one: in the action bar, the triage form, the owner column
    and the owner filter."""
    import re

    from engagement.platform.branding import set_display_name

    set_display_name(user=world["agent"], display_name="佐藤 花子")
    world["lead"].first_name, world["lead"].last_name = "太郎", "鈴木"
    world["lead"].save()
    services.update_triage(item_id=world["item_a"].id, actor=world["lead"], owner=world["agent"])
    client.force_login(world["lead"])
    html = client.get(LIST).content.decode()
    action_bar = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert f'<option value="{world["agent"].id}">佐藤 花子</option>' in action_bar
    assert f'<option value="{world["lead"].id}">太郎 鈴木</option>' in action_bar
    assert ">agent<" not in action_bar and ">lead<" not in action_bar
    # the owner column and the owner filter
    assert '<td class="field-owner_name">佐藤 花子</td>' in html
    assert f"owner__id__exact={world['agent'].id}" in html and ">agent</a>" not in html
    detail = client.get(f"{LIST}{world['item_a'].id}/change/").content.decode()
    form_owner = re.search(r'<select name="owner".*?</select>', detail, re.S).group(0)
    assert "佐藤 花子" in form_owner and ">agent<" not in form_owner


def test_inbox_and_its_export_filter_by_store_link_and_url_parameter(client, world):
    """#14 §5: the store link and the allow-listed URL parameters narrow the inbox and what its
    CSV export holds, as they narrow the dashboard and the reports."""
    from django.utils import timezone

    from surveys import services as survey_services
    from surveys.links import LinkSource, PublicLink, UrlParameter
    from surveys.models import Response, Wave

    today = timezone.localdate()
    wave = Wave.objects.create(name="W", starts_on=today, ends_on=today)
    survey = survey_services.create_template_survey(
        title="店舗アンケート", brand_name="さくら", wave=wave, slug="store-inbox"
    )
    shibuya = PublicLink.objects.create(
        survey=survey, name="渋谷店", source=LinkSource.STORE, source_value="shibuya"
    )
    UrlParameter.objects.create(survey=survey, key="store")
    made = {}
    for name, link, store in (("渋谷", shibuya, "shibuya"), ("梅田", None, "umeda")):
        response = Response.objects.create(
            survey=survey,
            status="completed",
            submitted_at=timezone.now(),
            public_link=link,
            url_params={"store": store},
        )
        made[name] = make_item(
            text=f"{name}の店舗で待たされました", team=world["team_a"], response=response
        )
    client.force_login(world["lead"])
    page = client.get(LIST, {"param": "store=umeda"}).content.decode()
    assert f"/{made['梅田'].id}/change/" in page and f"/{made['渋谷'].id}/change/" not in page
    assert "store = shibuya" in page  # offered as a choice
    page = client.get(LIST, {"link": str(shibuya.id)}).content.decode()
    assert f"/{made['渋谷'].id}/change/" in page and f"/{made['梅田'].id}/change/" not in page
    response = client.post(
        LIST + "?param=store%3Dshibuya",
        {
            "action": "export_csv",
            "_selected_action": [made["渋谷"].id],
            "index": 0,
            "select_across": 1,
        },
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "渋谷の店舗" in body and "梅田の店舗" not in body
