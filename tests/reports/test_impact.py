"""Impact ranking on a constructed data set where the right answer is known."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.reports import impact, selectors
from engagement.reports.masking import mask_personal_data
from tests.reports.conftest import PERIOD, Builder, Constructed, at

pytestmark = pytest.mark.django_db


def compute(**kwargs):
    return selectors.compute_report(period_start=PERIOD[0], period_end=PERIOD[1], **kwargs)


def test_small_angry_churned_topic_outranks_large_mild_topic(constructed: Constructed) -> None:
    data = compute()
    topics = {topic["name"]: topic for topic in data["topics"]}
    ranking = [topic["name"] for topic in data["topics"]]
    by_volume = sorted(topics, key=lambda name: -topics[name]["volume"])

    assert by_volume[0] == "画面デザイン"  # the mild topic is by far the largest…
    assert ranking[0] == "解約手続き"  # …but the angry, churning one costs the most
    assert (
        ranking.index("解約手続き") < ranking.index("画面デザイン") < ranking.index("店舗スタッフ")
    )
    assert topics["解約手続き"]["volume"] == 10 and topics["画面デザイン"]["volume"] == 200

    angry, mild, happy = topics["解約手続き"], topics["画面デザイン"], topics["店舗スタッフ"]
    # NPS uplift if resolved = detractor respondents of the topic / all respondents × 100
    assert data["totals"]["nps"]["n"] == 270
    assert angry["nps_uplift"] == pytest.approx(10 / 270 * 100, abs=0.01)
    assert mild["nps_uplift"] == pytest.approx(4 / 270 * 100, abs=0.01)
    assert happy["nps_uplift"] == 0
    # Behaviour: all 10 raisers churned vs 10 of the other 260 customers.
    behaviour = angry["behaviour"]
    assert behaviour["customers"] == 10 and behaviour["other_customers"] == 260
    assert behaviour["churn"]["rate"] == 100.0
    assert behaviour["churn_others"]["rate"] == pytest.approx(100 * 10 / 260, abs=0.01)
    assert behaviour["churn_diff"]["significant"] is True
    assert behaviour["churn"]["ci_low"] < 100 and behaviour["churn"]["ci_high"] == 100
    expected_excess = (1 - 10 / 260) * 10 / 270 * 100
    assert angry["excess_churn"] == pytest.approx(expected_excess, abs=0.01)
    # the mild topic churns at the base rate, lower than the others (which include the angry)
    assert mild["excess_churn"] == 0
    assert angry["impact"] == pytest.approx(angry["nps_uplift"] + angry["excess_churn"], abs=0.02)
    # happy customers buy again and spend more than the others
    assert happy["behaviour"]["repeat"]["rate"] == 100.0
    assert happy["behaviour"]["spend"]["mean"] == 8000
    assert happy["behaviour"]["spend_diff"]["diff"] > 0

    assert angry["nps_mix"] == {"promoter": 0, "passive": 0, "detractor": 10, "none": 0}
    assert angry["sentiment"]["negative"] == 10
    assert angry["touchpoints"] == [{"code": "call_center", "count": 10}]
    assert 3 <= len(angry["quotes"]) <= 5
    assert [t["name"] for t in data["summary"]["top"]][:2] == ["解約手続き", "画面デザイン"]


def test_quotes_have_personal_data_removed(constructed: Constructed) -> None:
    data = compute()
    angry = next(t for t in data["topics"] if t["name"] == "解約手続き")
    first = angry["quotes"][0]["text"]  # the most representative (highest topic score)
    assert "解約したいのに電話がつながらない" in first
    for secret in ("山田", "太郎", "taro.yamada@example.jp", "090-1234-5678", "https://"):
        assert secret not in first
    assert "[メール]" in first and "[電話番号]" in first and "[URL]" in first


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("佐藤花子と申します", ["佐藤", "花子"]),
        ("佐藤 花子(さとう)です", ["佐藤 花子"]),
        ("連絡先：０９０－１２３４－５６７８", ["５６７８"]),
        ("電話 03-1234-5678 / +81 90 1234 5678", ["1234"]),
        ("メール Hanako.Sato+x@Example.co.jp まで", ["Example"]),
        ("www.example.jp/a?b=c を見て", ["example"]),
    ],
)
def test_masking_cases(text: str, leaks: list[str]) -> None:
    masked = mask_personal_data(text, names=["佐藤　花子"], emails=[])
    for leak in leaks:
        assert leak not in masked


def test_product_area_limits_topics_and_trend(constructed: Constructed, builder: Builder) -> None:
    from engagement.reports.models import ProductArea

    area = ProductArea.objects.create(name="会員サービス", slug="membership")
    area.topics.add(constructed.angry)
    # previous period: 5 comments about the angry topic → trend +100%
    for i in range(5):
        builder.feedback(
            customer=builder.customer(),
            topic=constructed.angry,
            text="解約できない",
            score=None,
            when=at(PERIOD[0].replace(month=9, day=10 + i)),
        )
    data = compute(product_area=area)
    assert [t["name"] for t in data["topics"]] == ["解約手続き"]
    assert data["topics"][0]["previous_volume"] == 5
    assert data["topics"][0]["trend_pct"] == 100.0
    assert data["params"]["product_area"] == {"id": area.id, "name": "会員サービス"}


def test_query_count_does_not_grow_with_items(constructed: Constructed, builder: Builder) -> None:
    with CaptureQueriesContext(connection) as small:
        compute()
    for _i in range(60):
        builder.feedback(
            customer=builder.customer(),
            topic=constructed.mild,
            text="色が好み",
            score=8,
            when=at(PERIOD[0]),
        )
    with CaptureQueriesContext(connection) as large:
        compute()
    assert len(large) == len(small)


def test_group_sums_empty_scope_is_no_data(db: None) -> None:
    data = compute()
    assert data["topics"] == []
    assert data["totals"]["nps"] is None
    assert data["totals"]["churn"] is None
    assert data["summary"]["top"] == []
    assert impact.nps_uplift_points(detractors=0, respondents=0) is None


def test_segment_and_touchpoint_filters(constructed: Constructed, builder: Builder) -> None:
    for _i in range(3):
        builder.feedback(
            customer=builder.customer(segment="VIP"),
            topic=constructed.angry,
            text="VIPでも解約が面倒",
            score=1,
            when=at(PERIOD[0]),
            touchpoint="store",
        )
    vip = compute(segment="VIP")
    assert vip["totals"]["items"] == 3 and vip["totals"]["nps"]["n"] == 3
    assert [t["name"] for t in vip["topics"]] == ["解約手続き"]
    assert vip["topics"][0]["nps_uplift"] == 100.0  # every VIP respondent is a detractor
    stores = compute(touchpoint="store")
    assert {t["name"] for t in stores["topics"]} == {"解約手続き", "店舗スタッフ"}
    assert stores["params"]["touchpoint"] == "store"
