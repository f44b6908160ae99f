"""Key drivers: which awareness statements and VoC topics best predict churn and repeat purchase.

Method (named on the page): L2-regularised logistic regression (scikit-learn, liblinear,
``C = 1``) of each outcome (churn; repeat purchase — in the window after answering) on the
eight engagement-awareness answers (1–5; a missing answer takes the item's mean) and on
indicators "raised this VoC topic" for the largest topics. Predictors are standardised, so a
coefficient is the change in log-odds per standard deviation; its 95% interval comes from a
bootstrap (resampling respondents). The sample is the most recent ``SAMPLE_SIZE`` respondents
with a known customer matching the filters, so the cost does not grow with the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.utils.translation import gettext as _

from engagement.customers.selectors.outcomes import annotate_outcomes
from engagement.dashboard.selectors import filtered_responses
from surveys import figures
from surveys.filters import AnalysisFilters

SAMPLE_SIZE = 3000
BOOTSTRAPS = 40
MAX_TOPICS = 8
MIN_RESPONDENTS = 30
CACHE_SECONDS = 600
OUTCOMES = ("churn", "repeat")


@dataclass
class Driver:
    name: str
    kind: str  # "awareness" or "topic"
    coefficient: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass
class DriverResult:
    outcome: str
    n: int
    positives: int
    drivers: list[Driver] = field(default_factory=list)
    message: str = ""

    @property
    def reference(self) -> str:
        """「参考値（n=…）」 when fewer respondents than every page's threshold were used."""
        return figures.reference(self.n)


def awareness_labels() -> dict[str, str]:
    from surveys.models import AwarenessItem

    return {value: str(label) for value, label in AwarenessItem.choices}


def _sample(
    filters: AnalysisFilters,
) -> tuple[list[int], np.ndarray, dict[str, np.ndarray], list[str]]:
    from surveys.models import Answer, AwarenessItem
    from voc.models import FeedbackItem, Topic

    responses = list(
        annotate_outcomes(
            filtered_responses(filters).filter(awareness_index__isnull=False),
            window_days=filters.window_days,
        )
        .order_by("-submitted_at", "-id")
        .values_list("id", "_churn", "_repeat")[:SAMPLE_SIZE]
    )
    ids = [row[0] for row in responses]
    items = [value for value, _label in AwarenessItem.choices]
    x = np.full((len(ids), len(items)), np.nan)
    index = {response_id: i for i, response_id in enumerate(ids)}
    answers = Answer.objects.filter(
        response_id__in=ids, question__awareness_item__in=items, number__isnull=False
    ).values_list("response_id", "question__awareness_item", "number")
    for response_id, item, number in answers.order_by():
        x[index[response_id], items.index(item)] = number
    topic_rows = list(
        FeedbackItem.objects.filter(response_id__in=ids, topic__isnull=False, topic__is_other=False)
        .order_by()
        .values_list("response_id", "topic_id")
    )
    counts: dict[int, int] = {}
    for _response, topic_id in topic_rows:
        counts[topic_id] = counts.get(topic_id, 0) + 1
    top = sorted(counts, key=lambda t: (-counts[t], t))[:MAX_TOPICS]
    names = dict(Topic.objects.filter(id__in=top).values_list("id", "name"))
    topics = np.zeros((len(ids), len(top)))
    for response_id, topic_id in topic_rows:
        if topic_id in top:
            topics[index[response_id], top.index(topic_id)] = 1
    labels = awareness_labels()
    feature_names = [labels[item] for item in items] + [names.get(t, "?") for t in top]
    kinds = ["awareness"] * len(items) + ["topic"] * len(top)
    column_means = np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0) if len(ids) else None
    if column_means is not None:
        column_means = np.where(np.isnan(column_means), 3.0, column_means)
        rows, columns = np.where(np.isnan(x))
        x[rows, columns] = column_means[columns]
    matrix = np.hstack([x, topics]) if len(ids) else np.zeros((0, len(feature_names)))
    y = {
        "churn": np.array([1 if row[1] else 0 for row in responses]),
        "repeat": np.array([1 if row[2] else 0 for row in responses]),
    }
    return (
        ids,
        matrix,
        y,
        [f"{kind}:{name}" for kind, name in zip(kinds, feature_names, strict=True)],
    )


def _fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, solver="liblinear")
    model.fit(x, y)
    return model.coef_[0]


def key_drivers(*, filters: AnalysisFilters, seed: int = 0) -> dict[str, DriverResult]:
    """Standardised logistic-regression coefficients with bootstrap 95% intervals (cached)."""
    key = (
        "dashboard:drivers:"
        + hashlib.sha256(
            json.dumps(filters.as_query() | {"w": filters.window_days}, sort_keys=True).encode()
        ).hexdigest()[:32]
    )
    try:
        cached = cache.get(key)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    result = _compute(filters, seed)
    with contextlib.suppress(Exception):  # a cache outage only costs a recomputation
        cache.set(key, result, CACHE_SECONDS)
    return result


def _compute(filters: AnalysisFilters, seed: int) -> dict[str, DriverResult]:
    from threadpoolctl import threadpool_limits

    _ids, x, ys, features = _sample(filters)
    with threadpool_limits(1):  # many tiny fits: BLAS threads only add overhead
        return _fit_all(x, ys, features, seed)


def _fit_all(
    x: np.ndarray, ys: dict[str, np.ndarray], features: list[str], seed: int
) -> dict[str, DriverResult]:
    results: dict[str, DriverResult] = {}
    rng = np.random.default_rng(seed)
    for outcome in OUTCOMES:
        y = ys[outcome]
        positives = int(y.sum()) if len(y) else 0
        result = DriverResult(outcome=outcome, n=len(y), positives=positives)
        results[outcome] = result
        if len(y) < MIN_RESPONDENTS or positives < 5 or positives > len(y) - 5:
            result.message = _(
                "Not enough data: at least %(n)s respondents and 5 with and 5 without the "
                "outcome are needed."
            ) % {"n": MIN_RESPONDENTS}
            continue
        std = x.std(axis=0)
        keep = std > 0
        xs = (x[:, keep] - x[:, keep].mean(axis=0)) / std[keep]
        names = [name for name, k in zip(features, keep, strict=True) if k]
        coef = _fit(xs, y)
        boot = []
        for _round in range(BOOTSTRAPS):
            sample = rng.integers(0, len(y), len(y))
            if y[sample].min() == y[sample].max():
                continue
            boot.append(_fit(xs[sample], y[sample]))
        spread = np.array(boot) if boot else np.array([coef])
        low, high = np.percentile(spread, 2.5, axis=0), np.percentile(spread, 97.5, axis=0)
        result.drivers = sorted(
            (
                Driver(
                    name=name.split(":", 1)[1],
                    kind=name.split(":", 1)[0],
                    coefficient=float(coef[i]),
                    low=float(low[i]),
                    high=float(high[i]),
                )
                for i, name in enumerate(names)
            ),
            key=lambda d: -abs(d.coefficient),
        )
    return results
