"""The statistics go through scipy: results equal scipy's on fixed data and textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from engagement.platform import statistics
from engagement.reports import significance
from surveys import scoring


def test_quantiles_are_scipy_and_the_tables() -> None:
    assert pytest.approx(1.959964, abs=1e-6) == statistics.Z95
    assert statistics.t_quantile(10) == pytest.approx(2.228, abs=1e-3)  # t table, df = 10
    assert statistics.t_quantile(29) == pytest.approx(2.045, abs=1e-3)
    assert statistics.t_quantile(120) == pytest.approx(1.980, abs=1e-3)  # not the normal 1.96
    assert statistics.two_sided_p(1.959964) == pytest.approx(0.05, abs=1e-6)
    assert scoring.two_sided_p(-2.5758) == pytest.approx(0.01, abs=1e-4)


def test_wilson_interval_textbook_and_scipy() -> None:
    estimate = statistics.proportion(81, 263)  # Newcombe (1998a), example: 0.2553 to 0.3662
    assert (estimate.low, estimate.high) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    ci = stats.binomtest(81, 263).proportion_ci(method="wilson")
    assert (estimate.low, estimate.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert statistics.proportion(0, 0).value is None
    none = statistics.proportion(0, 10)
    assert none.low == 0 and none.high == pytest.approx(0.2775, abs=1e-4)


def test_newcombe_difference_textbook() -> None:
    a, b = statistics.proportion(56, 70), statistics.proportion(48, 80)
    diff = statistics.proportion_difference(a, b)  # Newcombe (1998b), method 10: 0.0524, 0.3339
    assert diff.value == pytest.approx(0.2)
    assert (diff.low, diff.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert diff.significant


def test_two_proportion_test_is_the_chi_square_of_the_table() -> None:
    test = statistics.two_proportion_test(30, 100, 20, 100)
    assert test is not None
    # pooled z by hand: 0.1 / sqrt(0.25 × 0.75 × (1/100 + 1/100)) = 1.633, p = 0.1025
    assert test.z == pytest.approx(1.63299, abs=1e-4)
    assert test.p_value == pytest.approx(0.10247, abs=1e-4)
    chi2 = stats.chi2_contingency([[30, 70], [20, 80]], correction=False)
    assert test.p_value == pytest.approx(chi2.pvalue, abs=1e-12)
    assert test.z**2 == pytest.approx(chi2.statistic)
    report = significance.two_proportion_test(30, 100, 20, 100)
    assert report is not None and report["p_value"] == round(test.p_value, 4)
    assert report["z"] == round(test.z, 3) and report["diff"] == 10.0
    assert statistics.two_proportion_test(0, 10, 0, 20) == statistics.ProportionTest(0.0, 1.0)
    assert statistics.two_proportion_test(1, 0, 1, 2) is None


def test_chi_square_textbook_and_scipy() -> None:
    result = statistics.chi_square([[10, 20], [20, 10]])
    assert result is not None
    chi2, p, dof = result
    assert chi2 == pytest.approx(60 * 300**2 / 30**4)  # N (ad − bc)² / (row and column sums)
    assert dof == 1 and p == pytest.approx(stats.chi2.sf(chi2, 1))
    table = [[12, 5, 7], [3, 9, 11]]
    expected = stats.chi2_contingency(table)
    assert statistics.chi_square(table) == pytest.approx(
        (expected.statistic, expected.pvalue, expected.dof)
    )
    assert statistics.chi_square([[0, 0], [1, 2]]) is None


A = [12.1, 14.3, 11.8, 15.2, 13.9, 12.7, 14.8, 13.1]
B = [10.2, 11.9, 12.4, 9.8, 11.1, 10.7, 12.9, 10.4, 11.6, 9.9, 12.2]


def test_welch_matches_scipy_ttest_ind() -> None:
    a, b = np.array(A), np.array(B)
    expected = stats.ttest_ind(a, b, equal_var=False)
    interval = expected.confidence_interval(0.95)
    test = statistics.welch_from_stats(
        a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b)
    )
    assert test is not None
    assert test.t == pytest.approx(expected.statistic)
    assert test.p_value == pytest.approx(expected.pvalue)
    assert test.df == pytest.approx(expected.df)
    assert (test.low, test.high) == pytest.approx((interval.low, interval.high))
    # from the moments the selectors aggregate, through the Estimate the pages use
    ea = statistics.mean_from_moments(sum(A), sum(x * x for x in A), len(A))
    eb = statistics.mean_from_moments(sum(B), sum(x * x for x in B), len(B))
    diff = statistics.mean_difference(ea, eb)
    assert (diff.low, diff.high, diff.p_value) == pytest.approx(
        (interval.low, interval.high, expected.pvalue)
    )
    # the t interval of one mean is scipy's
    low, high = stats.t.interval(0.95, len(A) - 1, loc=a.mean(), scale=stats.sem(a))
    assert (ea.low, ea.high) == pytest.approx((low, high))


def test_wave_change_of_a_mean_is_welch() -> None:
    diff = scoring.mean_difference(A, B)
    expected = stats.ttest_ind(B, A, equal_var=False)
    assert diff.difference == pytest.approx(np.mean(B) - np.mean(A))
    assert diff.z == pytest.approx(expected.statistic)
    assert diff.p_value == pytest.approx(expected.pvalue)
    assert not diff.significant  # small samples are never "significant"
    same = scoring.mean_difference([3.0, 3.0, 3.0], [3.0, 3.0, 3.0])
    assert same.difference == 0 and same.p_value is None


def test_nps_change_p_value_is_the_normal_distribution() -> None:
    low = scoring.nps_estimate(promoters=20, passives=30, detractors=50)
    high = scoring.nps_estimate(promoters=60, passives=30, detractors=10)
    diff = scoring.nps_difference(low, high)
    se = math.hypot(low.std_error, high.std_error)
    assert diff.z == pytest.approx(80 / se)
    assert diff.p_value == pytest.approx(2 * stats.norm.sf(80 / se))


def test_benjamini_hochberg() -> None:
    adjusted = statistics.adjust_p_values([0.01, 0.04, None, 0.03, 0.005])
    assert adjusted == pytest.approx([0.02, 0.04, None, 0.04, 0.02])
    assert adjusted[2] is None
    assert statistics.adjust_p_values([]) == []
    assert statistics.adjust_p_values([None]) == [None]
