"""Impact ranking on a constructed data set where the right answer is known."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.platform.masking import mask_personal_data
from engagement.reports import selectors
from tests.reports.conftest import PERIOD, Builder, Constructed, at

pytestmark = pytest.mark.django_db


def compute(**kwargs):
    return selectors.compute_report(period_start=PERIOD[0], period_end=PERIOD[1], **kwargs)


def test_small_angry_churned_topic_is_the_top_problem(constructed: Constructed) -> None:
    data = compute()
    topics = {topic["name"]: topic for topic in data["topics"]}
    angry, mild, happy = topics["解約手続き"], topics["画面デザイン"], topics["店舗スタッフ"]
    assert mild["items"] == 200 and angry["items"] == 10  # the mild topic is by far the largest…
    assert angry["kind"] == "problem" and angry["rank"] == 1  # …the churning one is the problem
    # Raisers against every other customer in scope: all 10 churned and none bought again;
    # 10 of the other 260 churned (the mild topic's base rate) and 250 bought again.
    assert angry["customers"] == 10 and angry["other_customers"] == 260
    assert angry["churn_rate"] == 100.0 and angry["churn_rate_others"] == round(1000 / 260, 1)
    assert angry["repeat_rate"] == 0.0 and angry["repeat_rate_others"] == round(25000 / 260, 1)
    assert angry["churn_diff"]["value"] == round(100 - 1000 / 260, 1)
    assert angry["effect"]["value"] == pytest.approx(
        angry["churn_diff"]["value"] - angry["repeat_diff"]["value"], abs=0.11
    )
    assert angry["effect"]["low"] > 0 and angry["significant"] is True
    # NPS: the angry respondents against the 260 others
    assert angry["respondents"] == 10 and angry["nps"] == -100.0
    assert angry["nps_diff"]["value"] < 0 and angry["nps_diff"]["high"] < 0
    # Happy customers are a strength, not a problem; so is the mild topic, whose customers
    # churn less and buy again more than the others (who include the angry ones).
    assert happy["kind"] == "strength" and happy["praised"] is True
    assert mild["kind"] == "strength" and mild["effect"]["value"] < 0
    assert happy["spend"] == 8000 and happy["spend_diff"]["value"] > 0
    assert angry["touchpoints"] == [{"code": "call_center", "count": 10}]
    assert 3 <= len(angry["quotes"]) <= 5
    assert [t["name"] for t in data["summary"]["top"]] == ["解約手続き"]
    assert {t["name"] for t in data["summary"]["strengths"]} == {"店舗スタッフ", "画面デザイン"}


def test_below_the_minimum_a_topic_is_a_reference_value(
    constructed: Constructed,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.VOC_IMPACT_MIN_CUSTOMERS = 30  # the default; the angry topic has 10 customers
    data = compute()
    angry = next(t for t in data["topics"] if t["name"] == "解約手続き")
    assert angry["kind"] == "reference" and angry["rank"] is None
    assert data["summary"]["top"] == []


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
    assert data["totals"]["customers"] == 0
    assert data["summary"]["top"] == []


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
    assert vip["topics"][0]["nps"] == -100.0  # every VIP respondent is a detractor
    assert vip["topics"][0]["other_customers"] == 0  # nobody to compare with: no effect
    assert vip["topics"][0]["kind"] == "reference"
    stores = compute(touchpoint="store")
    assert {t["name"] for t in stores["topics"]} == {"解約手続き", "店舗スタッフ"}
    assert stores["params"]["touchpoint"] == "store"


def test_a_report_stored_before_the_ranking_by_effect_still_opens(admin_client) -> None:  # type: ignore[no-untyped-def]
    from engagement.reports.models import Report, ReportStatus

    old = {
        "version": 1,
        "params": {"period_start": "2026-10-01", "period_end": "2026-10-31", "window_days": 90},
        "totals": {"items": 1, "nps": None, "customers": 1},
        "topics": [{"id": 1, "name": "旧トピック", "rank": 1, "impact": 3.2, "quotes": []}],
        "summary": {"top": [], "changes": [], "shipped_actions": [], "has_previous": False},
    }
    report = Report.objects.create(
        period_start=PERIOD[0], period_end=PERIOD[1], status=ReportStatus.DONE, data=old
    )
    response = admin_client.get(f"/reports/{report.id}/")
    assert response.status_code == 200
    assert "以前の順位付けの方法で作成されています" in response.content.decode()
    assert admin_client.get(f"/reports/{report.id}/export.csv").status_code == 200
