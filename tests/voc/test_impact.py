"""The one ranking of topics by their effect on behaviour (voc.impact), on data where the right
answer is known, and its agreement across the report, the dashboard and the topic list.

The data reproduce the finding of issue 12: a large, praised topic 「嬉しい・メール・細かい」
(105 of its 147 items positive, its customers buy again more than the others) has the most
detractors, so a ranking by detractor count put it first; it must be a strength. Two complaint
topics whose customers churn more are the problems; a small one (10 customers) is a reference
value; 100 respondents commented on nothing and are part of the comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from engagement.customers.models import BehaviourRecord, Customer
from engagement.dashboard import services as dashboard_services
from engagement.dashboard.panels import panel_by_name
from engagement.dashboard.selectors import dashboard
from engagement.reports import selectors as report_selectors
from engagement.reports.models import Report, ReportStatus
from surveys.filters import AnalysisFilters as Filters
from surveys.models import Response, ResponseStatus, Survey, Wave
from surveys.scoring import nps_category
from voc import impact
from voc.models import Channel, FeedbackItem, Sentiment, Topic

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD = (date(2026, 10, 1), date(2026, 10, 31))
PRAISED, CANCEL = "嬉しい・メール・細かい", "解約できない"
DELIVERY, SMALL = "配送が遅い", "ポイント期限"
_seq = count(1)


@dataclass
class Plan:
    name: str
    customers: int
    sentiment: list[str]  # per customer
    score: list[int]
    churn: list[bool]
    repeat: list[bool]


def _plans() -> list[Plan]:
    n = 147
    praised = Plan(
        PRAISED,
        n,
        [Sentiment.POSITIVE] * 105 + [Sentiment.NEUTRAL] * 30 + [Sentiment.NEGATIVE] * 12,
        [5] * 60 + [8] * 40 + [10] * 47,  # the most detractors of any topic
        [i % 50 == 0 for i in range(n)],
        [i % 5 != 0 for i in range(n)],
    )
    cancel = Plan(
        CANCEL,
        40,
        [Sentiment.NEGATIVE] * 40,
        [2] * 30 + [7] * 10,
        [i % 2 == 0 for i in range(40)],
        [i % 5 == 0 for i in range(40)],
    )
    delivery = Plan(
        DELIVERY,
        35,
        [Sentiment.NEGATIVE] * 30 + [Sentiment.NEUTRAL] * 5,
        [3] * 20 + [8] * 15,
        [i % 5 == 0 for i in range(35)],
        [i % 2 == 0 for i in range(35)],
    )
    small = Plan(
        SMALL, 10, [Sentiment.NEGATIVE] * 10, [1] * 10, [True] * 10, [False] * 10
    )  # fmt: skip
    return [praised, cancel, delivery, small]


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=TOKYO)


@pytest.fixture
def known(db: None) -> dict[str, Topic]:
    wave = Wave.objects.create(
        name="2026秋", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
    )
    survey = Survey.objects.create(title="秋", slug=f"s{next(_seq)}", brand_name="B", wave=wave)
    topics = {}
    customers, responses, items, records = [], [], [], []

    def person(score: int, day: int, churn: bool, repeat: bool) -> tuple[Customer, Response]:
        customer = Customer(external_id=f"K{next(_seq):06d}", segment="一般")
        response = Response(
            survey=survey,
            customer=customer,
            status=ResponseStatus.COMPLETED,
            submitted_at=_at(day),
            nps_score=score,
            nps_category=nps_category(score),
            touchpoint="web",
        )
        customers.append(customer)
        responses.append(response)
        if churn:
            records.append((customer, "cancellation", _at(day) + timedelta(days=30), None))
        if repeat:
            records.append((customer, "purchase", _at(day) + timedelta(days=10), 3000))
        return customer, response

    for plan in _plans():
        topic = Topic.objects.create(name=plan.name)
        topics[plan.name] = topic
        for i in range(plan.customers):
            day = 1 + i % 28
            customer, response = person(plan.score[i], day, plan.churn[i], plan.repeat[i])
            items.append((customer, response, topic, plan.sentiment[i], day))
    for i in range(100):  # respondents who commented on nothing
        person(8, 1 + i % 28, i % 10 == 0, i % 2 == 0)
    Customer.objects.bulk_create(customers)
    for response in responses:
        response.customer_id = response.customer.id
    Response.objects.bulk_create(responses)
    FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(
                text=f"{topic.name}についてのご意見",
                channel=Channel.SURVEY,
                received_at=_at(day),
                customer_id=customer.id,
                response_id=response.id,
                nps_score=response.nps_score,
                nps_category=response.nps_category,
                touchpoint="web",
                sentiment=sentiment,
                topic=topic,
            )
            for customer, response, topic, sentiment, day in items
        ]
    )
    BehaviourRecord.objects.bulk_create(
        [
            BehaviourRecord(customer_id=c.id, kind_id=kind, occurred_at=when, amount=amount)
            for c, kind, when, amount in records
        ]
    )
    return topics


def _ranking() -> impact.TopicRanking:
    return impact.rank_topics(items=FeedbackItem.objects.all(), responses=Response.objects.all())


def _figures(topic: impact.TopicEffect) -> tuple:
    return (
        topic.name,
        topic.kind,
        topic.rank,
        topic.effect,
        topic.churn_diff,
        topic.repeat_diff,
        topic.nps_diff,
        topic.customers,
        topic.other_customers,
        topic.q_value,
    )


def test_praised_topic_with_the_most_detractors_is_a_strength_not_a_problem(known) -> None:
    ranking = _ranking()
    topics = ranking.by_id()
    praised = topics[known[PRAISED].id]
    # What the old ranking followed: the praised topic has by far the most detractors…
    assert max(topics.values(), key=lambda t: t.detractors).name == PRAISED
    assert praised.positive == 105 and praised.items == 147 and praised.praised
    # …but its customers buy again more than everyone else: a strength, never a problem.
    assert praised.repeat_diff.value > 0 and praised.effect.value < 0
    assert praised.kind == impact.STRENGTH and praised.direction == impact.BENEFIT
    assert praised not in ranking.problems and praised in ranking.strengths
    assert [t.name for t in ranking.problems] == [CANCEL, DELIVERY]
    assert all(t.direction == impact.HARM for t in ranking.problems)


def test_a_praised_topic_is_a_strength_even_when_its_customers_churn_more(known) -> None:
    # Make the praised topic's customers churn: the comments are still mostly positive.
    customers = FeedbackItem.objects.filter(topic=known[PRAISED]).values_list("customer_id")
    BehaviourRecord.objects.filter(customer_id__in=customers).delete()
    BehaviourRecord.objects.bulk_create(
        [
            BehaviourRecord(customer_id=c, kind_id="cancellation", occurred_at=_at(28, 23))
            for (c,) in customers
        ]
    )
    ranking = _ranking()
    praised = ranking.by_id()[known[PRAISED].id]
    assert praised.direction == impact.HARM  # the behaviour says harm…
    assert praised.kind == impact.STRENGTH  # …the comments say praise: listed apart
    assert PRAISED not in [t.name for t in ranking.problems]


def test_complaints_without_a_clear_benefit_are_not_strengths(known) -> None:
    # 30 more customers complain about shipping fees and behave like the average customer.
    topic = Topic.objects.create(name="送料が高い")
    for i in range(30):
        customer = Customer.objects.create(external_id=f"F{i}", segment="一般")
        FeedbackItem.objects.create(
            text="送料が高い", channel=Channel.SUPPORT, received_at=_at(5), customer=customer,
            sentiment=Sentiment.NEGATIVE, topic=topic,
        )  # fmt: skip
        if i % 5 < 3:
            BehaviourRecord.objects.create(
                customer=customer, kind_id="purchase", occurred_at=_at(20), amount=1000
            )
        if i % 10 == 0:
            BehaviourRecord.objects.create(
                customer=customer, kind_id="cancellation", occurred_at=_at(25)
            )
    fees = _ranking().by_id()[topic.id]
    assert fees.effect.value < 0 < fees.effect.high  # seems a little better, not clearly
    assert fees.kind == impact.UNRANKED and fees.reason == "no_difference"
    assert fees.rank is None and fees.q_value is not None


def test_effect_is_churn_minus_repeat_difference_against_all_other_respondents(known) -> None:
    cancel = _ranking().by_id()[known[CANCEL].id]
    # Population: every customer who answered in the scope (232 with comments + 100 without).
    assert cancel.customers == 40 and cancel.other_customers == 292
    others_churn = (3 + 7 + 10 + 10) / 292  # praised, delivery, small, silent respondents
    others_repeat = (117 + 18 + 0 + 50) / 292
    assert cancel.churn_rate == 50.0 and cancel.churn_rate_others == round(100 * others_churn, 1)
    assert cancel.repeat_rate == 20.0
    expected = (0.5 - others_churn) - (0.2 - others_repeat)
    assert cancel.effect.value == round(100 * expected, 1)
    assert cancel.effect.low < cancel.effect.value < cancel.effect.high
    assert cancel.effect.low > 0 and cancel.significant
    # NPS of its respondents against the other respondents
    assert cancel.respondents == 40 and cancel.nps == -75.0
    assert cancel.nps_diff.value < 0


def test_rank_order_is_the_order_of_the_printed_effect(known) -> None:
    ranking = _ranking()
    effects = [t.effect.value for t in ranking.problems]
    assert [t.rank for t in ranking.problems] == list(range(1, len(effects) + 1))
    assert effects == sorted(effects, reverse=True) and effects[0] > effects[-1]
    strengths = [t.effect.value for t in ranking.strengths]
    assert strengths == sorted(strengths)


def test_small_topics_are_reference_values_and_unranked(known) -> None:
    ranking = _ranking()
    small = ranking.by_id()[known[SMALL].id]
    assert small.customers == 10 < impact.min_customers()
    assert small.kind == impact.REFERENCE and small.rank is None
    assert small.effect.value is not None  # its figures are shown…
    assert small not in ranking.problems and small not in ranking.strengths  # …not ranked
    assert small.reference_label == "参考値（n=10）"
    assert small.q_value is None  # not among the topics tested together


def test_minimum_is_a_setting(known, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VOC_IMPACT_MIN_CUSTOMERS = 5
    ranking = _ranking()
    assert ranking.problems[0].name == SMALL  # everyone churned
    assert ranking.reference == []


def test_round_trip_through_a_stored_snapshot(known) -> None:
    ranking = _ranking()
    assert impact.TopicRanking.from_dict(ranking.as_dict()) == ranking


def _rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    rows = re.findall(r"<tr data-topic.*?</tr>", table.group(0), re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td.*?</td>", row, re.S)]
        for row in rows
    ]


def test_dashboard_report_and_topic_list_agree(known, admin_client: Client) -> None:
    data = report_selectors.compute_report(period_start=PERIOD[0], period_end=PERIOD[1])
    report = Report.objects.create(
        period_start=PERIOD[0], period_end=PERIOD[1], status=ReportStatus.DONE, data=data
    )
    dashboard_services.refresh_rollups()
    board = dashboard(filters=Filters())
    listed = _ranking()

    stored = [impact.TopicEffect.from_dict(topic) for topic in data["topics"]]
    assert [_figures(t) for t in stored] == [_figures(t) for t in listed.topics]
    assert board.ranking is not None
    assert [_figures(t) for t in board.ranking.topics] == [_figures(t) for t in listed.topics]
    problems = [(t.rank, t.name, t.effect.value) for t in listed.problems]
    assert problems[0][:2] == (1, CANCEL)

    # The pages print the same ranks, names and effects, in the same order.
    topic_page = admin_client.get("/admin/voc/topics/").content.decode()
    report_page = admin_client.get(f"/reports/{report.id}/").content.decode()
    for html, table in ((topic_page, "ranking-problem"), (report_page, "table-problem")):
        printed = [(int(row[0]), row[1], float(row[2])) for row in _rows(html, table)]
        assert printed == problems
        assert "参考値（n=10）" in html
    strengths_on_report = [row[1] for row in _rows(report_page, "table-strength")]
    assert PRAISED in strengths_on_report
    panel = panel_by_name(board, "topics_impact")
    assert panel is not None
    assert [(row[0], row[1], row[2]) for row in panel.rows] == problems
    reference_panel = panel_by_name(board, "topics_reference")
    assert reference_panel is not None and reference_panel.rows[0][0] == "参考値（n=10）"
    dashboard_page = admin_client.get(reverse("dashboard:index")).content.decode()
    assert "参考値（n=10）" in dashboard_page and CANCEL in dashboard_page


def test_cached_ranking_is_the_current_ranking(known, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.VOC_IMPACT_CACHE_SECONDS = 60
    cache.clear()
    items, responses = FeedbackItem.objects.all(), Response.objects.all()
    first = impact.cached_rank_topics(items=items, responses=responses)
    assert first == _ranking()
    with CaptureQueriesContext(connection) as hit:
        again = impact.cached_rank_topics(items=items, responses=responses)
    assert again == first and len(hit) == 5  # only the data stamp is read
    cancel = next(t for t in first.problems if t.name == CANCEL)
    customer = (
        FeedbackItem.objects.filter(topic__name=CANCEL)
        .exclude(customer__behaviours__kind_id="cancellation")
        .order_by("id")
        .values_list("customer_id", flat=True)[0]
    )
    BehaviourRecord.objects.create(
        customer_id=customer, kind_id="cancellation", occurred_at=_at(28, 22)
    )
    changed = impact.cached_rank_topics(items=items, responses=responses)
    assert changed == _ranking() and changed != first  # new data: computed again
    assert next(t for t in changed.problems if t.name == CANCEL).churn_rate > cancel.churn_rate
    cache.clear()
