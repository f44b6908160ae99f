"""Confidence intervals and significance tests used by the reports (normal approximations).

- Proportions (churn, repeat): Wilson score interval; difference of two proportions: Wald
  interval; test: the two-proportion z-test with a pooled proportion.
- Behaviour of topic raisers vs others uses ``engagement.metrics`` (through the dashboard's
  outcomes primitive): Wilson, Newcombe and Welch intervals.
- NPS: NPS = %promoters − %detractors; its variance per respondent is
  (p_P + p_D − (p_P − p_D)²) / n; the difference of two NPS is tested with a z-test on the
  difference divided by √(var₁ + var₂) ("NPS difference z-test").

Every function returns ``None`` (shown as "no data") instead of dividing by zero.
"""

from __future__ import annotations

import math
from typing import Any

Z95 = 1.959963984540054


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def wilson_interval(successes: int, n: int) -> tuple[float, float] | None:
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


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
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / se_pooled if se_pooled > 0 else 0.0
    return {
        "diff": round(100 * diff, 2),
        "ci_low": round(100 * (diff - Z95 * se), 2),
        "ci_high": round(100 * (diff + Z95 * se), 2),
        "z": round(z, 3),
        "p_value": round(normal_two_sided_p(z), 4) if se_pooled > 0 else 1.0,
        "method": "two_proportion_z",
    }


def nps(promoters: int, detractors: int, n: int) -> dict[str, Any] | None:
    """NPS with a 95% interval (normal approximation of the trinomial variance)."""
    if n <= 0:
        return None
    p_p, p_d = promoters / n, detractors / n
    score = p_p - p_d
    variance = (p_p + p_d - score * score) / n
    se = math.sqrt(max(0.0, variance))
    return {
        "n": n,
        "promoters": promoters,
        "detractors": detractors,
        "nps": round(100 * score, 1),
        "ci_low": round(100 * max(-1.0, score - Z95 * se), 1),
        "ci_high": round(100 * min(1.0, score + Z95 * se), 1),
    }


def nps_difference_test(after: dict[str, Any] | None, before: dict[str, Any] | None) -> Any:
    """NPS difference z-test: (NPS_after − NPS_before) / √(var_after + var_before)."""
    if not after or not before:
        return None

    def var(summary: dict[str, Any]) -> float:
        n = summary["n"]
        p_p, p_d = summary["promoters"] / n, summary["detractors"] / n
        return max(0.0, (p_p + p_d - (p_p - p_d) ** 2) / n)

    score_after = (after["promoters"] - after["detractors"]) / after["n"]
    score_before = (before["promoters"] - before["detractors"]) / before["n"]
    diff = score_after - score_before
    se = math.sqrt(var(after) + var(before))
    z = diff / se if se > 0 else 0.0
    return {
        "diff": round(100 * diff, 1),
        "ci_low": round(100 * (diff - Z95 * se), 1),
        "ci_high": round(100 * (diff + Z95 * se), 1),
        "z": round(z, 3),
        "p_value": round(normal_two_sided_p(z), 4) if se > 0 else 1.0,
        "method": "nps_difference_z",
    }
