"""Predicted CLV: the models against the CDNOW sample and sanity checks; the refresh and CRV on
hand-made customers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command

from engagement.customers import clv, clv_evaluation, valuation
from engagement.customers.models import BehaviourRecord, Customer, CustomerValue, ValueModelFit

TOKYO = ZoneInfo("Asia/Tokyo")
AS_OF = datetime(2026, 7, 1, tzinfo=TOKYO)


@pytest.fixture(scope="module")
def cdnow():
    return clv_evaluation.load_cdnow()


def test_cdnow_summary_matches_the_paper(cdnow):
    # FHL 2005: 2,357 customers, 2,457 repeat transactions in the 39-week calibration period.
    assert cdnow.x.size == 2357
    assert int(cdnow.x.sum()) == 2457
    assert cdnow.T.max() == pytest.approx(38.86, abs=0.01)


def test_bgnbd_fit_reproduces_the_paper(cdnow):
    params = clv.fit_bgnbd(cdnow.x, cdnow.t_x, cdnow.T)
    # The paper: r = 0.243, α = 4.414, a = 0.793, b = 2.426 (tolerance: 2 decimals).
    assert params.r == pytest.approx(0.243, abs=0.005)
    assert params.alpha == pytest.approx(4.414, abs=0.01)
    assert params.a == pytest.approx(0.793, abs=0.005)
    assert params.b == pytest.approx(2.426, abs=0.01)
    # The paper's log-likelihood is -9582.4.
    assert clv.bgnbd_log_likelihood(params, cdnow.x, cdnow.t_x, cdnow.T) == pytest.approx(
        -9582.4, abs=0.1
    )


def test_weighted_fit_equals_the_row_by_row_fit(cdnow):
    rows, counts = np.unique(
        np.column_stack([cdnow.x, cdnow.t_x, cdnow.T]), axis=0, return_counts=True
    )
    params = clv.fit_bgnbd(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    assert params.r == pytest.approx(0.243, abs=0.005)
    assert params.b == pytest.approx(2.426, abs=0.01)


def test_gamma_gamma_fit_reproduces_fader_hardie(cdnow):
    # Fader and Hardie (2013) on the same calibration data: p = 6.25, q = 3.74, γ = 15.44.
    spend = clv.fit_gamma_gamma(cdnow.x, cdnow.m)
    assert (spend.p, spend.q, spend.v) == pytest.approx((6.25, 3.74, 15.44), abs=0.02)


def test_holdout_predictions_follow_the_actual_purchases():
    rows = clv_evaluation.evaluate()
    holdout = [row for row in rows if row["row"] == "holdout"]
    assert [row["customers"] for row in holdout][:3] == [1411, 439, 214]
    predicted = [row["predicted_mean"] for row in holdout]
    actual = [row["actual_mean"] for row in holdout]
    assert predicted == sorted(predicted) and actual == sorted(actual)
    # Within 0.4 transactions per customer in every bucket; the total within 15%.
    assert all(abs(p - a) < 0.4 for p, a in zip(predicted, actual, strict=True))
    total = next(row for row in rows if row["row"] == "holdout_total")
    assert total["predicted"] == pytest.approx(total["actual"], rel=0.15)


def test_more_purchases_mean_more_expected_purchases_and_inactivity_lowers_p_alive():
    params = clv_evaluation.PAPER_PARAMS
    x = np.array([1, 2, 5, 10])
    expected = clv.expected_purchases(params, 52, x, np.full(4, 30.0), np.full(4, 38.0))
    assert np.all(np.diff(expected) > 0)
    # Same purchases, last one longer ago → lower probability alive, fewer expected purchases.
    t_x = np.array([37.0, 30.0, 20.0, 5.0])
    alive = clv.probability_alive(params, np.full(4, 4), t_x, np.full(4, 38.0))
    assert np.all(np.diff(alive) < 0) and alive[0] > 0.8 and alive[-1] < 0.05
    assert clv.probability_alive(params, [0], [0], [38.0])[0] == 1.0
    # The expectation grows with the horizon; CLV is discounted.
    assert (
        clv.expected_purchases(params, 26, [3], [30], [38])[0]
        < clv.expected_purchases(params, 52, [3], [30], [38])[0]
    )
    spend = clv.GammaGammaParams(p=6.25, q=3.74, v=15.44)
    purchases, undiscounted = clv.predicted_clv(
        params, spend, [3], [30], [38], [40], monthly_discount_rate=0
    )
    _, discounted = clv.predicted_clv(params, spend, [3], [30], [38], [40])
    assert discounted[0] < undiscounted[0]
    assert undiscounted[0] == pytest.approx(purchases[0] * clv.expected_spend(spend, [3], [40])[0])


def test_expected_spend_shrinks_towards_the_population_mean():
    spend = clv.GammaGammaParams(p=6.25, q=3.74, v=15.44)
    one, many = clv.expected_spend(spend, [1, 20], [100, 100])
    assert spend.population_mean < one < many < 100
    assert clv.expected_spend(spend, [0], [0])[0] == pytest.approx(spend.population_mean)


def test_fit_needs_repeat_purchases():
    with pytest.raises(clv.ModelFitError):
        clv.fit_bgnbd([0, 0], [0, 0], [10, 10])


def _simulate(n: int, seed: int = 1) -> None:
    """n customers from a BG/NBD process over 52 weeks before AS_OF, purchases of ~3,000 yen."""
    rng = np.random.default_rng(seed)
    customers = Customer.objects.bulk_create(
        [Customer(external_id=f"s{i:04d}", segment="A" if i % 2 else "B") for i in range(n)]
    )
    records = []
    for customer in customers:
        rate = rng.gamma(0.8, 1 / 2.0)  # purchases per week
        drop = rng.beta(1.0, 4.0)
        start = rng.uniform(0, 52)
        week = start
        while week < 52:
            records.append(
                BehaviourRecord(
                    customer=customer,
                    kind_id="purchase",
                    occurred_at=AS_OF - timedelta(weeks=52 - week),
                    amount=int(rng.gamma(6, 500)),
                )
            )
            if rng.random() < drop:
                break
            week += rng.exponential(1 / rate) + 1 / 7
    BehaviourRecord.objects.bulk_create(records)


@pytest.mark.django_db
def test_refresh_scores_every_purchaser_and_values_referrals():
    _simulate(300)
    referrer = Customer.objects.create(external_id="referrer")
    loyal = Customer.objects.get(external_id="s0001")
    for i, referred in enumerate(["s0001", "s0002", "nobody"]):
        BehaviourRecord.objects.create(
            customer=referrer,
            kind_id="referral",
            occurred_at=AS_OF - timedelta(days=i + 1),
            attributes={"referred_customer": referred},
        )
    result = valuation.refresh_customer_values(as_of=AS_OF)
    purchasers = BehaviourRecord.objects.filter(kind_id="purchase").values("customer").distinct()
    assert result.customers == purchasers.count()
    assert CustomerValue.objects.filter(clv__isnull=False).count() == result.customers
    fit = ValueModelFit.objects.get()
    assert set(fit.params["bgnbd"]) == {"r", "alpha", "a", "b"}
    value = CustomerValue.objects.get(customer=loyal)
    assert 0 <= value.p_alive <= 1 and value.clv >= 0
    # CRV: the predicted CLV of the two referred customers found; the third is counted only.
    two = CustomerValue.objects.filter(customer__external_id__in=["s0001", "s0002"])
    row = CustomerValue.objects.get(customer=referrer)
    assert (row.referrals, row.referred_customers) == (3, 2)
    assert row.crv == pytest.approx(sum(v.clv for v in two), abs=0.2)
    assert row.clv is None  # the referrer never bought
    # Customers who bought more recently and more often are worth more.
    values = list(CustomerValue.objects.filter(clv__isnull=False).order_by("-repeat_purchases"))
    top, bottom = values[: len(values) // 4], values[-len(values) // 4 :]
    assert np.mean([v.clv for v in top]) > np.mean([v.clv for v in bottom])
    # A second refresh replaces, not adds.
    call_command("refresh_customer_values")
    assert CustomerValue.objects.get(customer=referrer).referrals == 3


@pytest.mark.django_db
def test_refresh_rejects_bad_options_and_writes_nothing():
    from django.core.management.base import CommandError

    from engagement.platform.errors import InvalidInput

    with pytest.raises(InvalidInput):
        valuation.refresh_customer_values(horizon_months=0)
    with pytest.raises(CommandError, match="月次割引率"):
        call_command("refresh_customer_values", "--discount", "-0.5")
    assert not ValueModelFit.objects.exists() and not CustomerValue.objects.exists()
