"""CKV: feedback linked to improvement actions weighs more, verified actions most."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engagement.customers.models import BehaviourRecord, Customer, CustomerValue
from engagement.reports.knowledge import refresh_knowledge_values
from engagement.reports.models import ImprovementAction
from surveys.models import Response, Survey, Wave
from voc.models import FeedbackItem, Topic

pytestmark = pytest.mark.django_db
AT = datetime(2026, 5, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


def _item(customer, topic=None):
    return FeedbackItem.objects.create(
        text="改善してほしい", channel="support", received_at=AT, customer=customer, topic=topic
    )


def _action(status, *topics):
    action = ImprovementAction.objects.create(
        title=status,
        status=status,
        shipped_on=date(2026, 5, 10) if status in ("shipped", "verified") else None,
    )
    action.topics.set(topics)
    return action


def test_knowledge_value_weighs_feedback_by_what_it_led_to():
    plain, planned, shipped, verified = (Topic.objects.create(name=n) for n in "abcd")
    _action("planned", planned)
    _action("shipped", shipped)
    _action("verified", verified, planned)  # an item counts once, at its best action
    customer = Customer.objects.create(external_id="k1")
    _item(customer, plain)
    _item(customer)  # no topic
    _item(customer, planned)  # planned + verified → verified
    _item(customer, shipped)
    wave = Wave.objects.create(name="w", starts_on=date(2026, 4, 1), ends_on=date(2026, 9, 30))
    survey = Survey.objects.create(title="s", slug="s", brand_name="b", wave=wave, status="open")
    Response.objects.create(survey=survey, customer=customer, status="completed", submitted_at=AT)
    Response.objects.create(survey=survey, customer=customer, status="started")  # not counted
    BehaviourRecord.objects.create(customer=customer, kind_id="feedback", occurred_at=AT)
    other = Customer.objects.create(external_id="k2")
    _item(other, plain)

    assert refresh_knowledge_values() == 2
    value = CustomerValue.objects.get(customer=customer)
    # 2 plain items × 1 + adopted (shipped) 5 + verified 8 + 1 answer + 1 feedback record
    assert value.ckv == 2 + 5 + 8 + 1 + 1
    assert value.ckv_parts == {
        "items": 4,
        "linked": 0,
        "adopted": 1,
        "verified": 1,
        "answers": 1,
        "feedback_records": 1,
    }
    assert CustomerValue.objects.get(customer=other).ckv == 1
    # Linking the plain topic to a proposed action raises it to 3 points.
    _action("proposed", plain)
    refresh_knowledge_values()
    assert CustomerValue.objects.get(customer=other).ckv == 3
    assert CustomerValue.objects.get(customer=customer).ckv_parts["linked"] == 1


def test_topics_ranked_by_the_predicted_clv_of_who_raised_them():
    from engagement.reports.models import Report
    from engagement.reports.value_ranking import topics_by_customer_value

    cheap, dear = Topic.objects.create(name="安い"), Topic.objects.create(name="高い")
    rich, poor, unknown = (Customer.objects.create(external_id=n) for n in ("r", "p", "u"))
    CustomerValue.objects.create(customer=rich, clv=90_000)
    CustomerValue.objects.create(customer=poor, clv=1_000)
    _item(rich, dear)
    _item(rich, dear)  # the same customer twice counts once
    _item(poor, cheap)
    _item(poor, dear)
    _item(unknown, cheap)  # no predicted CLV: counted, not valued
    report = Report.objects.create(period_start=date(2026, 4, 1), period_end=date(2026, 5, 31))
    ranked = topics_by_customer_value(report=report)
    assert [(r["name"], r["customers"], r["clv_total"], r["clv_mean"]) for r in ranked] == [
        ("高い", 2, 91_000, 45_500),
        ("安い", 2, 1_000, 1_000),
    ]
    outside = Report.objects.create(period_start=date(2026, 6, 1), period_end=date(2026, 6, 30))
    assert topics_by_customer_value(report=outside) == []
    # The report's snapshot keeps the ranking; the page shows it.
    from django.contrib.auth import get_user_model
    from django.test import Client

    from engagement.reports.services import generate_report

    stored = generate_report(report_id=report.id)
    assert [r["name"] for r in stored.data["value_topics"]] == ["高い", "安い"]
    client = Client()
    client.force_login(get_user_model().objects.create_superuser(username="a", password="x-9-y"))
    page = client.get(f"/reports/{report.id}/").content.decode()
    assert 'id="value-topics"' in page and "¥91,000" in page  # yen with separators


@pytest.mark.django_db
def test_a_report_waits_for_the_earlier_report_it_is_compared_with():
    from engagement.reports.models import Report, ReportStatus
    from engagement.reports.services import EarlierReportPending, generate_report

    earlier = Report.objects.create(period_start=date(2026, 1, 1), period_end=date(2026, 6, 30))
    later = Report.objects.create(period_start=date(2026, 7, 1), period_end=date(2026, 12, 31))
    with pytest.raises(EarlierReportPending):
        generate_report(report_id=later.id)
    later.refresh_from_db()
    assert later.status == ReportStatus.PENDING  # not failed: the task retries
    generate_report(report_id=earlier.id)
    generate_report(report_id=later.id)
    later.refresh_from_db()
    assert later.status == ReportStatus.DONE and later.data["previous_report_id"] == earlier.id
