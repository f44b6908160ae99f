"""Statistics for engagement metrics: estimates with 95% confidence intervals.

Pure functions on counts and sums that the selectors have already aggregated in the database.
A zero denominator gives ``None`` ("no data"), never a division error.

- Proportions: Wilson score interval (good for small n and for rates near 0 or 1).
- Means: normal approximation with the sample standard deviation (t quantile for n < 30).
- Difference of two proportions: Newcombe's hybrid score interval built from the Wilson limits.
- Difference of two means: Welch's standard error with a normal quantile.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

Z95 = 1.959963984540054

# Two-sided 97.5% quantiles of Student's t for small samples (df 1..29).
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
]  # fmt: skip

SMALL_SAMPLE = 30


def t_quantile(df: int) -> float:
    if df <= 0:
        return math.inf
    if df <= len(_T975):
        return _T975[df - 1]
    return Z95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval; ``value`` is None when there is no data.

    For a proportion ``value`` is a share (0–1) and ``count`` the number of "yes"; for a mean
    ``count`` is None.
    """

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    count: int | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def proportion(count: int | None, n: int | None) -> Estimate:
    """Share ``count / n`` with the Wilson score interval."""
    count, n = int(count or 0), int(n or 0)
    if n <= 0:
        return Estimate(None, 0, count=0)
    p = count / n
    z2 = Z95 * Z95
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Estimate(p, n, max(0.0, centre - half), min(1.0, centre + half), count)


def mean(total: float | None, n: int | None, stddev: float | None) -> Estimate:
    """Mean ``total / n`` with a t (small n) or normal interval from the sample std deviation."""
    n = int(n or 0)
    if n <= 0:
        return Estimate(None, 0)
    value = float(total or 0) / n
    if n < 2 or stddev is None:
        return Estimate(value, n)
    half = t_quantile(n - 1) * float(stddev) / math.sqrt(n)
    return Estimate(value, n, value - half, value + half)


def mean_from_moments(total: float | None, total_sq: float | None, n: int | None) -> Estimate:
    """Mean with its interval from the sum and the sum of squares (sample variance)."""
    n = int(n or 0)
    if n <= 0:
        return Estimate(None, 0)
    if n < 2:
        return mean(total, n, None)
    s, s2 = float(total or 0), float(total_sq or 0)
    variance = max(0.0, (s2 - s * s / n) / (n - 1))
    return mean(s, n, math.sqrt(variance))


@dataclass(frozen=True)
class Difference:
    """``a − b`` with its 95% interval; ``significant`` when the interval excludes 0."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def significant(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def proportion_difference(a: Estimate, b: Estimate) -> Difference:
    """Newcombe's (1998, method 10) interval for the difference of two Wilson proportions."""
    if a.value is None or b.value is None or a.low is None or b.low is None:
        return Difference(None)
    assert a.high is not None and b.high is not None
    d = a.value - b.value
    low = d - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    high = d + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Difference(d, low, high)


def mean_difference(a: Estimate, b: Estimate) -> Difference:
    """Welch standard error from each mean's interval half-width; normal quantile."""
    if a.value is None or b.value is None:
        return Difference(None)
    d = a.value - b.value
    if a.low is None or b.low is None or a.n < 2 or b.n < 2:
        return Difference(d)
    se_a = (a.value - a.low) / t_quantile(a.n - 1)
    se_b = (b.value - b.low) / t_quantile(b.n - 1)
    half = Z95 * math.sqrt(se_a * se_a + se_b * se_b)
    return Difference(d, d - half, d + half)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None ("no data") when the denominator is 0 or missing."""
    if not denominator or numerator is None:
        return None
    return float(numerator) / float(denominator)
