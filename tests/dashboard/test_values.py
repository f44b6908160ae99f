"""CIV, the four aspects, the customer page's values and the dashboard's value panels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from engagement.customers import valuation
from engagement.customers.models import BehaviourRecord, CustomerValue
from engagement.dashboard import values
from engagement.platform import formatting
from tests.dashboard.conftest import T0


def _feedback(customer, sentiment, channel="review"):
    from voc.models import FeedbackItem

    return FeedbackItem.objects.create(
        text="よかった", channel=channel, received_at=T0, customer=customer, sentiment=sentiment
    )


def _record(customer, kind, reach=None, **attributes):
    if reach is not None:
        attributes["reach"] = reach
    return BehaviourRecord.objects.create(
        customer=customer, kind_id=kind, occurred_at=T0, attributes=attributes
    )


def test_influence_value_is_explained_by_count_reach_and_sentiment(build):
    c = build.customer()
    _record(c, "review", reach=99)  # 5 points, reach log10(100) = 2
    _record(c, "sns_post", reach="many")  # 3 points, reach not a number: ignored
    _record(c, "share")  # 2 points
    _feedback(c, "positive")
    _feedback(c, "positive", channel="sns")
    _feedback(c, "negative")
    _feedback(c, "negative", channel="survey")  # not a review or post: not counted
    quiet = build.customer()
    _record(quiet, "purchase")
    assert values.refresh_influence_values() == 1
    value = CustomerValue.objects.get(customer=c)
    # (10 activity + 2 reach) × (1 + (2 − 1) / 3)
    assert value.civ == pytest.approx(16.0)
    parts = value.civ_parts
    assert parts["counts"]["review"] == 1 and parts["counts"]["sns_post"] == 1
    assert (parts["activity_points"], parts["reach_points"], parts["reach"]) == (10, 2.0, 99)
    assert (parts["written"], parts["positive"], parts["negative"]) == (3, 2, 1)
    assert not CustomerValue.objects.filter(customer=quiet).exists()
    # Only negative posts: the factor is 0; a refresh replaces the old value.
    BehaviourRecord.objects.filter(customer=c).exclude(kind_id="review").delete()
    c.feedback_items.filter(sentiment="positive").update(sentiment="negative")
    values.refresh_influence_values()
    assert CustomerValue.objects.get(customer=c).civ == 0


def _valued_customers(build):
    """Two segments; promoters with referrals and higher indices, detractors without."""
    promoters, detractors = [], []
    for i in range(6):
        c = build.customer(segment="ゴールド")
        build.response(c, score=10, awareness=80)
        promoters.append(c)
        d = build.customer(segment="一般")
        build.response(d, score=2, awareness=20)
        detractors.append(d)
        for who, n in ((c, 4), (d, 2)):
            for k in range(n + (i % 3)):
                build.behaviour(who, "purchase", T0 - timedelta(days=20 * k + i), 3000 + 100 * k)
    for c, d in zip(promoters, detractors, strict=True):
        BehaviourRecord.objects.create(
            customer=c,
            kind_id="referral",
            occurred_at=T0,
            attributes={"referred_customer": d.external_id},
        )
        _record(c, "sns_post", reach=9)
    return promoters, detractors


def test_segment_and_nps_panels_compare_aspects_and_values(build):
    _promoters, _detractors = _valued_customers(build)
    result = valuation.refresh_customer_values(as_of=T0 + timedelta(days=1))
    assert result.fit is not None
    assert result.others == {"CIV": 6, "CKV": 12, "最新回答": 12}  # the upper layers ran
    rows = {row["segment"]: row for row in values.segment_comparison()}
    assert rows["ゴールド"]["awareness"] == 80 and rows["一般"]["awareness"] == 20
    assert rows["ゴールド"]["social"] == 6 and rows["一般"]["social"] == 0
    assert rows["ゴールド"]["clv"] > rows["一般"]["clv"] > 0
    by_nps = {row["category"]: row for row in values.values_by_nps_category()}
    assert set(by_nps) == {"promoter", "detractor"}
    assert by_nps["promoter"]["referrals"] == 6 and by_nps["detractor"]["referrals"] == 0
    assert by_nps["promoter"]["crv"] == pytest.approx(by_nps["detractor"]["clv"], rel=1e-3)
    panel = values.segment_panel(segment="一般")
    assert [row[0] for row in panel.rows] == ["一般"]
    nps = values.nps_value_panel()
    assert [row[0] for row in nps.rows] == ["推奨者", "批判者"]


def test_customer_page_shows_the_four_values_and_aspects(build, staff_client):
    promoters, _detractors = _valued_customers(build)
    valuation.refresh_customer_values(as_of=T0 + timedelta(days=1))
    page = staff_client.get(reverse("dashboard:customer", args=[promoters[0].pk]))
    assert page.status_code == 200
    body = page.content.decode()
    value = CustomerValue.objects.get(customer=promoters[0])
    assert formatting.yen(value.clv) in body  # ¥51,205
    assert formatting.yen(value.crv) in body
    assert "1 件の紹介" in body  # one referral, found
    assert 'id="aspect-cognitive"' in body and "エンゲージメント意識指数 80" in body
    assert "SNS投稿 1" in body
    fresh = build.customer()
    body = staff_client.get(reverse("dashboard:customer", args=[fresh.pk])).content.decode()
    assert "まだ計算されていません" in body


def test_dashboard_shows_the_value_panels_and_their_csv(build, staff_client):
    _valued_customers(build)
    valuation.refresh_customer_values(as_of=T0 + timedelta(days=1))
    body = staff_client.get(reverse("dashboard:index")).content.decode()
    assert 'id="panel-aspects_segment"' in body and 'id="panel-values_nps"' in body
    csv = staff_client.get(reverse("dashboard:panel-csv", args=["values_nps"]))
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "推奨者" in text and "批判者" in text
