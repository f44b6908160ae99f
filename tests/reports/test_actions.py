"""Improvement actions: status flow, before/after verification with significance tests on
constructed waves, and the 'we heard you' message when an action ships."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from engagement.platform.errors import Conflict
from engagement.reports import selectors, services, significance
from engagement.reports.models import ActionStatus, ImprovementAction
from surveys.models import Survey, Wave
from tests.reports.conftest import Builder, Constructed, at
from voc.models import Topic

pytestmark = pytest.mark.django_db


def test_two_proportion_z_test_hand_computed() -> None:
    result = significance.two_proportion_test(15, 200, 60, 200)
    pooled = 75 / 400
    z = (0.075 - 0.3) / math.sqrt(pooled * (1 - pooled) * (2 / 200))
    assert result["z"] == pytest.approx(z, abs=1e-3)
    assert result["diff"] == -22.5
    assert result["p_value"] < 0.001
    assert significance.two_proportion_test(1, 0, 1, 10) is None


def test_nps_difference_z_test_hand_computed() -> None:
    before = significance.nps(5, 45, 60)
    after = significance.nps(5, 3, 15)
    result = significance.nps_difference_test(after, before)
    var_b = (5 / 60 + 45 / 60 - (5 / 60 - 45 / 60) ** 2) / 60
    var_a = (5 / 15 + 3 / 15 - (5 / 15 - 3 / 15) ** 2) / 15
    diff = (2 / 15) - (-40 / 60)
    assert result["diff"] == pytest.approx(100 * diff, abs=0.1)
    assert result["z"] == pytest.approx(diff / math.sqrt(var_a + var_b), abs=1e-3)
    assert result["p_value"] < 0.05
    assert result["method"] == "nps_difference_z"


def wave_data(
    builder: Builder,
    topic: Topic,
    other: Topic,
    *,
    start: date,
    survey: Survey,
    in_topic: list[int],
    churners: int,
    total: int,
) -> None:
    """``total`` comments in the wave, ``len(in_topic)`` about ``topic`` with those NPS scores."""
    for i in range(total):
        customer = builder.customer()
        when = at(start + timedelta(days=i % 25))
        if i < len(in_topic):
            builder.feedback(
                customer=customer,
                topic=topic,
                text="アプリが落ちる",
                score=in_topic[i],
                when=when,
                survey=survey,
                sentiment="negative",
            )
            if i < churners:
                builder.behaviour(
                    customer=customer, kind="cancellation", when=when + timedelta(days=10)
                )
        else:
            builder.feedback(
                customer=customer,
                topic=other,
                text="使いやすい",
                score=9,
                when=when,
                survey=survey,
                sentiment="positive",
            )


@pytest.fixture
def waves(builder: Builder) -> tuple[ImprovementAction, Topic]:
    before_wave = Wave.objects.create(
        name="2026年6月", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30)
    )
    after_wave = Wave.objects.create(
        name="2026年8月", starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 31)
    )
    s1 = Survey.objects.create(title="6月", slug="june", brand_name="B", wave=before_wave)
    s2 = Survey.objects.create(title="8月", slug="august", brand_name="B", wave=after_wave)
    builder.deferred = True  # bulk inserts (flushed below)
    crash = Topic.objects.create(name="アプリが落ちる")
    praise = Topic.objects.create(name="使いやすさ")
    stable = Topic.objects.create(name="配送日時")
    # before: 60 of 200 about crashes (45 detractors, 10 passives, 5 promoters), 20 churn
    wave_data(
        builder,
        crash,
        praise,
        start=date(2026, 6, 1),
        survey=s1,
        in_topic=[2] * 45 + [7] * 10 + [10] * 5,
        churners=20,
        total=200,
    )
    # after: 15 of 200 (3 detractors, 7 passives, 5 promoters), 1 churn
    wave_data(
        builder,
        crash,
        praise,
        start=date(2026, 8, 1),
        survey=s2,
        in_topic=[2] * 3 + [7] * 7 + [10] * 5,
        churners=1,
        total=200,
    )
    # a topic that did not change: 10 per wave with the same mix
    for start, survey in ((date(2026, 6, 3), s1), (date(2026, 8, 3), s2)):
        for i in range(10):
            builder.feedback(
                customer=builder.customer(),
                topic=stable,
                text="配送日時を選びたい",
                score=[3, 8, 9, 10, 8, 3, 9, 8, 10, 6][i],
                when=at(start),
                survey=survey,
            )
    builder.flush()
    action = ImprovementAction.objects.create(
        title="クラッシュ修正", status=ActionStatus.SHIPPED, shipped_on=date(2026, 7, 15)
    )
    action.topics.add(crash)
    return action, stable


def test_before_after_shows_significant_improvement(waves) -> None:
    action, _stable = waves
    result = selectors.action_verification(action=action)
    assert result["basis"] == "waves"
    before, after = result["before"], result["after"]
    assert (before["name"], after["name"]) == ("2026年6月", "2026年8月")
    assert (before["volume"], before["items"]) == (60, 210)
    assert (after["volume"], after["items"]) == (15, 210)
    assert before["nps"]["nps"] == pytest.approx(-66.7, abs=0.1)
    assert after["nps"]["nps"] == pytest.approx(13.3, abs=0.1)
    assert (before["churned"], before["customers"]) == (20, 60)
    assert (after["churned"], after["customers"]) == (1, 15)
    assert result["share_test"]["method"] == "two_proportion_z"
    assert result["share_test"]["diff"] < 0 and result["share_test"]["p_value"] < 0.05
    assert result["nps_test"]["diff"] > 0 and result["nps_test"]["p_value"] < 0.05
    assert result["churn_test"]["diff"] < 0


def test_unchanged_topic_is_not_significant(waves) -> None:
    _action, stable = waves
    action = ImprovementAction.objects.create(
        title="配送日時指定", status=ActionStatus.SHIPPED, shipped_on=date(2026, 7, 15)
    )
    action.topics.add(stable)
    result = selectors.action_verification(action=action)
    assert result["before"]["volume"] == result["after"]["volume"] == 10
    assert result["share_test"]["p_value"] > 0.5
    assert result["nps_test"]["diff"] == 0 and result["nps_test"]["p_value"] == 1.0


def test_action_page_names_the_method(waves, action_manager: User) -> None:
    action, _ = waves
    client = Client()
    client.force_login(action_manager)
    html = client.get(f"/reports/actions/{action.id}/").content.decode()
    assert "2標本比率のz検定" in html and "NPS差のz検定" in html
    assert "2026年6月" in html and "2026年8月" in html
    assert "<svg" in html


def test_status_flow_and_illegal_jump(constructed: Constructed) -> None:
    action = ImprovementAction.objects.create(title="解約導線の改善")
    with pytest.raises(Conflict):
        services.change_action_status(action=action, status=ActionStatus.SHIPPED)
    for status in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS):
        action = services.change_action_status(action=action, status=status)
    action = services.change_action_status(
        action=action, status=ActionStatus.SHIPPED, shipped_on=date(2026, 11, 2)
    )
    assert action.status == "shipped" and action.shipped_on == date(2026, 11, 2)
    action = services.change_action_status(action=action, status=ActionStatus.VERIFIED)
    assert action.verified_at is not None
    assert selectors.action_verification(action=action)["basis"] in ("waves", "windows")


def test_shipping_offers_we_heard_you(
    constructed: Constructed, action_manager: User, django_capture_on_commit_callbacks
) -> None:
    from voc.triage.models import HeardYouCampaign

    action = ImprovementAction.objects.create(
        title="解約をWebで完結", status=ActionStatus.IN_PROGRESS
    )
    action.topics.add(constructed.angry)
    client = Client()
    client.force_login(action_manager)
    response = client.post(
        f"/reports/actions/{action.id}/status/", {"status": "shipped", "shipped_on": "2026-11-02"}
    )
    # without the triage permission to message customers, sending is refused
    refused = client.post(f"/reports/actions/{action.id}/heard-you/", {"message": "テスト"})
    assert refused.status_code == 403
    action_manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="triage", codename="send_heard_you")
    )
    client.force_login(User.objects.get(pk=action_manager.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/reports/actions/{action.id}/heard-you/"
    page = client.get(response["Location"]).content.decode()
    assert "10名のお客様" in page  # the ten customers who raised the topic allowed contact
    assert "山田" not in page and "example.jp" not in page
    with django_capture_on_commit_callbacks(execute=False):
        sent = client.post(
            response["Location"], {"message": "解約手続きをWebで完結できるようにしました。"}
        )
    assert sent.status_code == 302
    action.refresh_from_db()
    assert action.heard_you_sent_at is not None and action.heard_you_count == 10
    assert HeardYouCampaign.objects.count() == 1
    # a double submit sends nothing more
    client.post(f"/reports/actions/{action.id}/heard-you/", {"message": "もう一度"})
    assert HeardYouCampaign.objects.count() == 1
