"""Confidence intervals and significance tests used by the reports (distributions from scipy).

- Proportions (churn, repeat): Wilson score interval; difference of two proportions: Wald
  interval; test: the two-proportion z-test with a pooled proportion (its p-value is Pearson's
  chi-square test of the 2 × 2 table, ``scipy.stats.chi2_contingency``).
- Behaviour of topic raisers vs others uses ``engagement.platform.statistics`` (through the
  dashboard's outcomes primitive): Wilson, Newcombe and Welch intervals.
- NPS: NPS = %promoters − %detractors; its variance per respondent is
  (p_P + p_D − (p_P − p_D)²) / n; the difference of two NPS is tested with a z-test on the
  difference divided by √(var₁ + var₂) ("NPS difference z-test").


The arithmetic is the product's one implementation (``engagement.platform.statistics.proportion``
for Wilson, ``surveys.scoring`` for NPS and its test); this module shapes it into the report's
stored JSON.

Every function returns ``None`` (shown as "no data") instead of dividing by zero.
"""

from __future__ import annotations

import math
from typing import Any

from engagement.platform import statistics
from engagement.platform.statistics import Z95
from engagement.platform.statistics import proportion as wilson_proportion
from surveys import figures
from surveys.scoring import NpsEstimate, nps_difference, nps_estimate


def wilson_interval(successes: int, n: int) -> tuple[float, float] | None:
    estimate = wilson_proportion(successes, n)
    if estimate.low is None or estimate.high is None:
        return None
    return (estimate.low, estimate.high)


def proportion(successes: int, n: int) -> dict[str, Any] | None:
    """A rate with its 95% Wilson interval, in percent."""
    interval = wilson_interval(successes, n)
    if interval is None:
        return None
    return {
        "n": n,
        "count": successes,
        "rate": round(100 * successes / n, 2),
        "ci_low": round(100 * interval[0], 2),
        "ci_high": round(100 * interval[1], 2),
    }


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> dict[str, Any] | None:
    """Group 1 minus group 2, in percentage points, with a Wald 95% CI and a pooled z-test."""
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    diff = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    test = statistics.two_proportion_test(x1, n1, x2, n2)
    assert test is not None
    return {
        "diff": round(100 * diff, 2),
        "ci_low": round(100 * (diff - Z95 * se), 2),
        "ci_high": round(100 * (diff + Z95 * se), 2),
        "z": round(test.z, 3),
        "p_value": round(test.p_value, 4),
        "method": "two_proportion_z",
    }


def nps(promoters: int, detractors: int, n: int) -> dict[str, Any] | None:
    """NPS with a 95% interval (normal approximation of the trinomial variance)."""
    if n <= 0:
        return None
    return figures.nps_figure(_estimate({"n": n, "promoters": promoters, "detractors": detractors}))


def _estimate(summary: dict[str, Any]) -> NpsEstimate:
    n, promoters, detractors = summary["n"], summary["promoters"], summary["detractors"]
    return nps_estimate(
        promoters=promoters, passives=n - promoters - detractors, detractors=detractors
    )


def nps_difference_test(after: dict[str, Any] | None, before: dict[str, Any] | None) -> Any:
    """NPS difference z-test: (NPS_after − NPS_before) / √(var_after + var_before)."""
    if not after or not before:
        return None
    estimate_before, estimate_after = _estimate(before), _estimate(after)
    test = nps_difference(estimate_before, estimate_after)
    assert test.difference is not None
    se = math.hypot(estimate_before.std_error or 0.0, estimate_after.std_error or 0.0)
    return {
        "diff": round(test.difference, 1),
        "ci_low": round(test.difference - Z95 * se, 1),
        "ci_high": round(test.difference + Z95 * se, 1),
        "z": round(test.z, 3) if test.z is not None else 0.0,
        "p_value": round(test.p_value, 4) if test.p_value is not None else 1.0,
        "method": "nps_difference_z",
    }
