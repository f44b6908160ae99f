"""behaviour_outcomes: the linkage primitive, against hand-computed fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import DateTimeField, Value
from django.test.utils import CaptureQueriesContext

from engagement.customers.models import BehaviourRecord, Customer
from engagement.customers.selectors import (
    behaviour_outcomes,
    behaviour_outcomes_by,
    compare_outcomes,
)

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
T0 = datetime(2026, 4, 1, 12, tzinfo=TOKYO)


def record(customer, kind, days, amount=None, event=None):
    return BehaviourRecord.objects.create(
        customer=customer, kind_id=kind, occurred_at=T0 + timedelta(days=days), amount=amount
    )


def anchored(qs):
    return qs.annotate(at=Value(T0, output_field=DateTimeField()))


def test_outcomes_hand_computed():
    a, b, c, d = (
        Customer.objects.create(external_id=f"c{i}", segment=s)
        for i, s in enumerate(["x", "x", "y", "y"])
    )
    record(a, "purchase", 10, 1000)
    record(a, "purchase", 20, 3000)
    record(a, "referral", 5)
    record(b, "cancellation", 30)
    record(b, "purchase", -3, 9999)  # before the anchor: ignored
    record(c, "purchase", 91, 5000)  # after the 90-day window: ignored
    record(c, "review", 90)  # exactly at the window's end: counted
    record(d, "related_purchase", 1, 2000)

    outcomes = behaviour_outcomes(
        anchors=anchored(Customer.objects.all()), customer_field="id", anchor_field="at"
    )
    assert outcomes.n == 4
    assert outcomes.churn.count == 1 and outcomes.churn.value == pytest.approx(0.25)
    assert outcomes.repeat.count == 2 and outcomes.repeat.value == pytest.approx(0.5)
    assert outcomes.referral.count == 1
    assert outcomes.review.count == 1
    # spend per anchor: 4000, 0, 0, 2000 → mean 1500, sample sd = 1914.85
    assert outcomes.spend.value == pytest.approx(1500)
    half = 3.182 * 1914.854 / 2
    assert outcomes.spend.low == pytest.approx(1500 - half, rel=1e-3)
    # Wilson interval for 1/4
    assert outcomes.churn.low == pytest.approx(0.0456, abs=1e-3)
    assert outcomes.churn.high == pytest.approx(0.6994, abs=1e-3)

    # the same from explicit pairs (Python path) gives the same figures
    pairs = behaviour_outcomes(anchors=[(x.id, T0) for x in (a, b, c, d)])
    assert pairs.as_dict() == outcomes.as_dict()

    # a longer window picks up c's late purchase
    longer = behaviour_outcomes(
        anchors=anchored(Customer.objects.all()),
        customer_field="id",
        anchor_field="at",
        window_days=120,
    )
    assert longer.repeat.count == 3

    by_segment = behaviour_outcomes_by(
        anchors=anchored(Customer.objects.all()),
        group_by="segment",
        customer_field="id",
        anchor_field="at",
    )
    assert by_segment["x"].repeat.count == 1 and by_segment["x"].churn.count == 1
    assert by_segment["y"].spend.value == pytest.approx(1000)
    diff = compare_outcomes(by_segment["x"], by_segment["y"])
    assert diff["churn"].value == pytest.approx(0.5)
    assert diff["spend"].value == pytest.approx(1000)


def test_empty_group_is_no_data_not_an_error():
    outcomes = behaviour_outcomes(
        anchors=anchored(Customer.objects.none()), customer_field="id", anchor_field="at"
    )
    assert outcomes.n == 0
    assert outcomes.churn.value is None and outcomes.spend.value is None
    assert behaviour_outcomes(anchors=[]).repeat.value is None
    assert compare_outcomes(outcomes, outcomes)["churn"].value is None


def test_single_customer_has_no_interval_for_the_mean():
    c = Customer.objects.create(external_id="solo")
    record(c, "purchase", 1, 500)
    outcomes = behaviour_outcomes(anchors=[(c.id, T0)])
    assert outcomes.spend.value == 500 and outcomes.spend.low is None
    assert outcomes.repeat.value == 1.0 and outcomes.repeat.low < 1.0


def test_one_query_whatever_the_size():
    for i in range(30):
        c = Customer.objects.create(external_id=f"q{i}")
        record(c, "purchase", 2, 100)
    with CaptureQueriesContext(connection) as queries:
        behaviour_outcomes(
            anchors=anchored(Customer.objects.all()), customer_field="id", anchor_field="at"
        )
    assert len(queries) == 1
