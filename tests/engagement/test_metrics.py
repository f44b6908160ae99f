"""Engagement metrics (DOMAIN.md section 3) against hand-computed fixtures."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engagement.customers.models import BehaviourRecord, Customer
from engagement.customers.selectors import (
    average_clv,
    behaviour_shares,
    churn_rate,
    customer_values,
    ltv,
    repeat_rate,
    repeat_rate_within_period,
)
from engagement.platform import statistics as metrics

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 4, 1, tzinfo=TOKYO)
END = datetime(2026, 7, 1, tzinfo=TOKYO)


def customer(name, signed_up=date(2025, 1, 1), segment="一般"):
    return Customer.objects.create(external_id=name, signed_up_on=signed_up, segment=segment)


def rec(c, kind, at, amount=None):
    BehaviourRecord.objects.create(customer=c, kind_id=kind, occurred_at=at, amount=amount)


@pytest.fixture
def shop():
    a, b, c, d = (customer(x) for x in "abcd")
    e = customer("e", signed_up=date(2026, 8, 1))  # signs up after the period: not counted
    rec(a, "purchase", START - timedelta(days=30), 1000)  # a: bought before and in the period
    rec(a, "purchase", START + timedelta(days=5), 3000)
    rec(b, "purchase", START + timedelta(days=1), 2000)  # b: twice in the period
    rec(b, "purchase", START + timedelta(days=2), 4000)
    rec(c, "purchase", START + timedelta(days=3), 6000)  # c: once, then cancels
    rec(c, "cancellation", START + timedelta(days=40))
    rec(d, "cancellation", START - timedelta(days=10))  # d: cancelled before the period
    rec(e, "review", START + timedelta(days=3))
    return a, b, c, d, e


def test_repeat_rates(shop):
    # 001: a and b repeat; cumulative customers signed up before the end: a, b, c, d → 2/4
    rate = repeat_rate(start=START, end=END)
    assert (rate.count, rate.n, rate.value) == (2, 4, 0.5)
    # 002: customers with 2+ purchases in the period (b) ÷ purchasing customers (a, b, c)
    within = repeat_rate_within_period(start=START, end=END)
    assert (within.count, within.n) == (1, 3)


def test_churn_rate(shop):
    # active at the start: a, b, c (d had cancelled); c cancels in the period → 1/3
    rate = churn_rate(start=START, end=END)
    assert (rate.count, rate.n) == (1, 3)
    assert rate.value == pytest.approx(1 / 3)


def test_reactivated_customer_counts_as_active_again(shop):
    d = Customer.objects.get(external_id="d")
    rec(d, "reactivation", START - timedelta(days=5))
    assert churn_rate(start=START, end=END).n == 4


def test_ltv(shop):
    value = ltv(start=START, end=END)
    # 4 purchases, 15,000 yen, 3 purchasing customers, churn 1/3 → 3 periods
    assert value.average_purchase_value == pytest.approx(3750)
    assert value.purchase_frequency == pytest.approx(4 / 3)
    assert value.retention_periods == pytest.approx(3)
    assert value.value == pytest.approx(3750 * 4 / 3 * 3)


def test_behaviour_shares(shop):
    shares = {row["kind"]: row for row in behaviour_shares(start=START, end=END)}
    # customers signed up before the end: a, b, c, d (e signs up later but reviewed: still 4)
    assert shares["purchase"]["customers"] == 3
    assert shares["purchase"]["share"].value == pytest.approx(3 / 4)
    assert shares["referral"]["share"].value == 0
    assert shares["review"]["customers"] == 1


def test_empty_period_and_zero_denominators_are_no_data():
    assert repeat_rate(start=START, end=END).value is None
    assert churn_rate(start=START, end=END).value is None
    empty = ltv(start=START, end=END)
    assert empty.value is None and empty.average_purchase_value is None
    assert all(row["share"].value is None for row in behaviour_shares(start=START, end=END))
    assert metrics.ratio(5, 0) is None and metrics.proportion(0, 0).value is None


def test_ltv_without_churn_is_no_data(shop):
    Customer.objects.filter(external_id="c").delete()
    value = ltv(start=START, end=END)
    assert value.average_purchase_value is not None
    assert value.churn.value == 0 and value.value is None


def test_single_customer(db):
    solo = customer("solo")
    rec(solo, "purchase", START + timedelta(days=1), 500)
    rate = repeat_rate_within_period(start=START, end=END)
    assert (rate.count, rate.n, rate.value) == (0, 1, 0.0)
    assert rate.high > 0  # Wilson: an interval even at 0/1


def test_segment_filter(shop):
    other = customer("x", segment="法人")
    rec(other, "purchase", START + timedelta(days=1), 100)
    assert repeat_rate_within_period(start=START, end=END, segment="法人").n == 1


def test_customer_values(shop):
    a = Customer.objects.get(external_id="a")
    rec(a, "referral", START)
    rec(a, "review", START)
    rec(a, "sns_engagement", START)
    rec(a, "feedback", START)
    # CLV of purchasers: a 4000, b 6000, c 6000 → average 5333.33
    assert average_clv() == pytest.approx(16000 / 3)
    values = customer_values(customer=a)
    assert values["clv"] == 4000
    assert values["crv"] == round(16000 / 3)
    assert values["civ"] == 5 + 1
    assert values["ckv"] == 5


def test_wilson_and_nps_formulas():
    est = metrics.proportion(8, 10)
    # Wilson 95% for 8/10: 0.4902–0.9433
    assert est.low == pytest.approx(0.4902, abs=1e-3) and est.high == pytest.approx(
        0.9433, abs=1e-3
    )
    mean = metrics.mean_from_moments(1 + 2 + 3, 1 + 4 + 9, 3)
    assert mean.value == 2 and mean.high - 2 == pytest.approx(4.303 * 1 / math.sqrt(3), rel=1e-3)
    diff = metrics.proportion_difference(metrics.proportion(8, 10), metrics.proportion(2, 10))
    assert diff.value == pytest.approx(0.6) and diff.significant
