"""Scores, as DOMAIN.md defines them; pure functions, no database.

Scales
------
- NPS answer 0–10: 9–10 promoter, 7–8 passive, 0–6 detractor. NPS = % promoters − % detractors
  (−100 … +100). Its 95% confidence interval treats each answer as +1/0/−1: the variance of the
  mean is (p_promoter + p_detractor − (p_promoter − p_detractor)²) / n, NPS ± z × 100 × √var
  (z = ``scipy.stats.norm.ppf(0.975)``). Tests: z-test for an NPS change (p from
  ``scipy.stats.norm``), Welch's t-test for a change in a mean (``scipy.stats.ttest_ind``).
- Agreement 5-point scale: 5 そう思う, 4 ややそう思う, 3 どちらともいえない, 2 あまりそう思わない,
  1 そう思わない.
- Indices are 0–100: the mean of the answered items on the 5-point scale, mapped linearly
  (1 → 0, 3 → 50, 5 → 100): ``(mean − 1) / 4 × 100``.
  * attachment (愛着): like, satisfied, devotion, grateful, would_miss
  * empathy (共感): support, spread, vision
  * awareness (エンゲージメント意識, overall): all eight items, each weighing the same.
  An index is None when none of its items was answered.
- Scale questions (``SCALE_KINDS``): CSAT (rating 1–5), CES (1–7, 7 = very easy), agreement
  (1–5), Likert (5 or 7 points) and each statement of a matrix (5 or 7 points) on its own. Each
  has two scores (``scale_score``): the **mean** (with Student's t 95% interval; two groups are
  compared with Welch's t-test) and the **top-2-box share**, the share of answers on the two
  highest points (4–5 of 5, 6–7 of 7; Wilson interval; compared with the two-proportion test).
  Answers outside 1 … points are not counted.
- A sample smaller than ``SMALL_SAMPLE`` responses (``engagement.platform.statistics``, the one
  threshold of every page) is flagged: its figures are shown, marked as
  not reliable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scipy import stats

from engagement.platform import statistics
from engagement.platform.statistics import SMALL_SAMPLE, Z95, Estimate
from engagement.platform.statistics import two_sided_p as _two_sided_p
from surveys.models import AwarenessItem, NpsCategory, QuestionKind

ATTACHMENT_ITEMS = (
    AwarenessItem.LIKE,
    AwarenessItem.SATISFIED,
    AwarenessItem.DEVOTION,
    AwarenessItem.GRATEFUL,
    AwarenessItem.WOULD_MISS,
)
EMPATHY_ITEMS = (AwarenessItem.SUPPORT, AwarenessItem.SPREAD, AwarenessItem.VISION)
AWARENESS_ITEMS = ATTACHMENT_ITEMS + EMPATHY_ITEMS
AGREEMENT_MIN, AGREEMENT_MAX = 1, 5
Z_95 = Z95  # scipy.stats.norm.ppf(0.975)


def nps_category(score: int | None) -> str:
    """The NPS category of a 0–10 answer ("" when there is no answer)."""
    if score is None:
        return ""
    if not 0 <= score <= 10:
        raise ValueError(f"NPS score out of range: {score}")
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


def agreement_index(values: Iterable[int | None]) -> float | None:
    """0–100 index of 5-point agreement answers (None answers ignored)."""
    answered = [v for v in values if v is not None]
    if not answered:
        return None
    for value in answered:
        if not AGREEMENT_MIN <= value <= AGREEMENT_MAX:
            raise ValueError(f"agreement answer out of range: {value}")
    mean = sum(answered) / len(answered)
    return (mean - AGREEMENT_MIN) / (AGREEMENT_MAX - AGREEMENT_MIN) * 100


@dataclass(frozen=True)
class AwarenessScores:
    empathy: float | None
    attachment: float | None
    awareness: float | None


def awareness_scores(items: Mapping[str, int | None]) -> AwarenessScores:
    """Indices from ``{awareness item: 1–5 answer}`` (missing items are not answered)."""
    return AwarenessScores(
        empathy=agreement_index(items.get(i) for i in EMPATHY_ITEMS),
        attachment=agreement_index(items.get(i) for i in ATTACHMENT_ITEMS),
        awareness=agreement_index(items.get(i) for i in AWARENESS_ITEMS),
    )


@dataclass(frozen=True)
class NpsEstimate:
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    std_error: float | None  # of the NPS, in points
    small_sample: bool


def nps_estimate(*, promoters: int, passives: int, detractors: int) -> NpsEstimate:
    n = promoters + passives + detractors
    if n == 0:
        return NpsEstimate(0, 0, 0, 0, None, None, None, None, True)
    p_pro, p_det = promoters / n, detractors / n
    nps = (p_pro - p_det) * 100
    variance = max(p_pro + p_det - (p_pro - p_det) ** 2, 0.0) / n
    se = math.sqrt(variance) * 100
    return NpsEstimate(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=nps,
        ci_low=max(nps - Z_95 * se, -100.0),
        ci_high=min(nps + Z_95 * se, 100.0),
        std_error=se,
        small_sample=n < SMALL_SAMPLE,
    )


@dataclass(frozen=True)
class Difference:
    """A change between two samples: b − a, with a two-sided test of "no change"."""

    difference: float | None
    z: float | None
    p_value: float | None
    significant: bool  # at the 5% level, and neither sample small
    small_sample: bool


def two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic (``scipy.stats.norm``)."""
    return _two_sided_p(z)


def nps_difference(a: NpsEstimate, b: NpsEstimate) -> Difference:
    """z-test of the NPS change from ``a`` to ``b`` (independent samples)."""
    small = a.small_sample or b.small_sample
    if a.nps is None or b.nps is None:
        return Difference(None, None, None, False, True)
    diff = b.nps - a.nps
    se = math.sqrt((a.std_error or 0) ** 2 + (b.std_error or 0) ** 2)
    if se == 0:
        return Difference(diff, None, None, False, small)
    z = diff / se
    p = two_sided_p(z)
    return Difference(diff, z, p, p < 0.05 and not small, small)


def mean_difference(a: list[float], b: list[float]) -> Difference:
    """Welch's t-test of the change in mean from ``a`` to ``b`` (``scipy.stats.ttest_ind``,
    ``equal_var=False``); ``z`` holds the t statistic."""
    small = len(a) < SMALL_SAMPLE or len(b) < SMALL_SAMPLE
    if len(a) < 2 or len(b) < 2:
        return Difference(None, None, None, False, True)
    diff = sum(b) / len(b) - sum(a) / len(a)
    var_a = sum((x - sum(a) / len(a)) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - sum(b) / len(b)) ** 2 for x in b) / (len(b) - 1)
    if var_a / len(a) + var_b / len(b) <= 1e-24 * max(1.0, diff * diff):
        return Difference(diff, None, None, False, small)
    result = stats.ttest_ind(b, a, equal_var=False)
    t, p = float(result.statistic), float(result.pvalue)
    if math.isnan(p):
        return Difference(diff, None, None, False, small)
    return Difference(diff, t, p, p < 0.05 and not small, small)


# --- scale questions ------------------------------------------------------------------------

SCALE_KINDS = (
    QuestionKind.RATING,
    QuestionKind.CES,
    QuestionKind.AGREEMENT,
    QuestionKind.LIKERT,
    QuestionKind.MATRIX,
)
TOP_BOX = 2  # the top-2-box share counts the two highest points


def top_box_floor(points: int) -> int:
    """The lowest answer counted in the top-2-box of a ``points``-point scale (4 of 5, 6 of 7)."""
    return points - TOP_BOX + 1


@dataclass(frozen=True)
class ScaleScore:
    """The scores of one scale question (or one matrix statement) over a group of answers."""

    points: int
    counts: dict[int, int]  # answer (1 … points) → number of answers
    mean: Estimate  # with Student's t 95% interval
    top_two: Estimate  # share of answers on the two highest points, Wilson 95% interval

    @property
    def n(self) -> int:
        return self.mean.n

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


def scale_score(counts: Mapping[int, int], *, points: int) -> ScaleScore:
    """Mean and top-2-box share of a ``points``-point scale from ``{answer: count}``."""
    kept = {int(v): int(c) for v, c in counts.items() if 1 <= int(v) <= points and c}
    n = sum(kept.values())
    total = sum(v * c for v, c in kept.items())
    total_sq = sum(v * v * c for v, c in kept.items())
    top = sum(c for v, c in kept.items() if v >= top_box_floor(points))
    return ScaleScore(
        points=points,
        counts=dict(sorted(kept.items())),
        mean=statistics.mean_from_moments(total, total_sq, n),
        top_two=statistics.proportion(top, n),
    )
